package io.github.dlock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dlock.LockHandle;
import io.github.dlock.LockHolder;
import io.github.dlock.LockProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.context.annotation.ImportCandidates;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** When the LockProvider bean exists, what it is opened with, and its life cycle. */
class DlockAutoConfigurationTest {
    @TempDir
    Path dir;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, DlockAutoConfiguration.class, DlockHealthAutoConfiguration.class));

    @Configuration(proxyBeanMethods = false)
    static class OwnProvider {
        static final AtomicReference<LockProvider> created = new AtomicReference<>();
        static Path directory;

        @Bean
        LockProvider myLockProvider() {
            LockProvider p = LockProvider.open(Stores.file(directory));
            created.set(p);
            return p;
        }
    }

    @Test
    void theAutoConfigurationsAreRegistered() {
        List<String> imports = ImportCandidates.load(AutoConfiguration.class, getClass().getClassLoader()).getCandidates();
        assertThat(imports).contains(DlockAutoConfiguration.class.getName(), DlockHealthAutoConfiguration.class.getName());
    }

    @Test
    void noUrl_noProviderBean_andNoHealthIndicator() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(LockProvider.class);
            assertThat(context).doesNotHaveBean(DlockHealthIndicator.class);
            assertThat(context).hasSingleBean(LockedAspect.class);
        });
    }

    @Test
    void url_opensAWorkingProvider_withTheOptionsOfProperties() {
        runner.withPropertyValues("dlock.url=" + Stores.file(dir), "dlock.options.owner=spring-owner-1", "dlock.options.max-attempts=5",
                "dlock.options.retry=fixed:10ms").run(context -> {
            assertThat(context).hasSingleBean(LockProvider.class);
            LockProvider provider = context.getBean(LockProvider.class);
            try (LockHandle h = provider.lock("auto-config").acquire(Duration.ofSeconds(5))) {
                List<LockHolder> holders = provider.holders("auto-config");
                assertThat(holders).hasSize(1);
                assertThat(holders.get(0).ownerId()).startsWith("spring-owner-1");
                assertThat(h.isLost()).isFalse();
            }
        });
    }

    @Test
    void camelCaseOptionNamesPassUnchanged() {
        runner.withPropertyValues("dlock.url=" + Stores.file(dir), "dlock.options.maxAttempts=5")
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(LockProvider.class));
    }

    @Test
    void badOptionsOrUrls_failTheContextWithAClearMessage() {
        runner.withPropertyValues("dlock.url=" + Stores.file(dir), "dlock.options.bogus=1")
                .run(context -> assertThat(context).getFailure().rootCause().hasMessageContaining("bogus"));
        runner.withPropertyValues("dlock.url=" + Stores.file(dir), "dlock.options[bad key]=1")
                .run(context -> assertThat(context).getFailure().rootCause().hasMessageContaining("malformed option name 'bad key'"));
        runner.withPropertyValues("dlock.url=" + Stores.file(dir), "dlock.options.max-attempts=5", "dlock.options.maxAttempts=6")
                .run(context -> assertThat(context).getFailure().rootCause().hasMessageContaining("'maxAttempts' is given twice"));
        runner.withPropertyValues("dlock.url=" + Stores.file(dir) + "?owner=a", "dlock.options.owner=b")
                .run(context -> assertThat(context).getFailure().rootCause().hasMessageContaining("given both in the url and in options"));
        runner.withPropertyValues("dlock.url= ")
                .run(context -> assertThat(context).getFailure().rootCause().hasMessageContaining("dlock.url is blank"));
        runner.withPropertyValues("dlock.url=nope://somewhere")
                .run(context -> assertThat(context).getFailure().rootCause().hasMessageContaining("no lock backend for scheme 'nope'"));
    }

    @Test
    void theUsersOwnProviderWins() {
        OwnProvider.directory = dir;
        // a URL the auto-configuration could not open: the context starts only if it is not used
        runner.withUserConfiguration(OwnProvider.class).withPropertyValues("dlock.url=nope://unused").run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(LockProvider.class);
            assertThat(context.getBean(LockProvider.class)).isSameAs(OwnProvider.created.get());
            assertThat(context).hasSingleBean(DlockHealthIndicator.class);
        });
    }

    @Test
    void theProviderIsClosedWithTheContext() {
        AtomicReference<LockProvider> provider = new AtomicReference<>();
        runner.withPropertyValues("dlock.url=" + Stores.file(dir)).run(context -> {
            provider.set(context.getBean(LockProvider.class));
            provider.get().lock("closing").acquire(Duration.ofSeconds(5)); // held until close
        });
        assertThatThrownBy(() -> provider.get().lock("closing")).isInstanceOf(IllegalStateException.class);
        // and the lock it held was released: another provider takes it at once
        try (LockProvider other = LockProvider.open(Stores.file(dir))) {
            other.lock("closing").tryAcquire().orElseThrow().release();
        }
    }
}
