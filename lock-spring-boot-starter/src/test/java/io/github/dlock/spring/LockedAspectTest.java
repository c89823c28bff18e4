package io.github.dlock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dlock.LockHandle;
import io.github.dlock.LockLostException;
import io.github.dlock.LockProvider;
import io.github.dlock.LockTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** @Locked on a real bean in a real context over the file backend. */
class LockedAspectTest {
    @TempDir
    Path dir;

    @Configuration(proxyBeanMethods = false)
    static class JobsConfig {
        @Bean
        Jobs jobs(LockProvider provider) {
            return new Jobs(provider);
        }
    }

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, DlockAutoConfiguration.class))
                .withUserConfiguration(JobsConfig.class)
                .withPropertyValues("dlock.url=" + Stores.file(dir));
    }

    /** Beans whose @Locked methods a Spring AOP proxy can never intercept. */
    public static class FinalLocked {
        @Locked(name = "final")
        public final String run() {
            return "ran without the lock";
        }
    }

    public static class PrivateLocked {
        public String run() {
            return locked();
        }

        @Locked(name = "private")
        private String locked() {
            return "ran without the lock";
        }
    }

    public static class StaticLocked {
        @Locked(name = "static")
        public static String run() {
            return "ran without the lock";
        }
    }

    @Test
    void lockedMethodsNoProxyCanIntercept_failTheStartup_namingTheMethod() {
        for (Class<?> type : List.of(FinalLocked.class, PrivateLocked.class, StaticLocked.class)) {
            runner().withBean(type).run(context -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("@Locked")
                        .hasMessageContaining(type.getSimpleName()).hasMessageContaining("never");
            });
        }
    }

    @Test
    void spelNameFromAParameterByName_isTheLockHeldWhileTheMethodRuns() {
        runner().run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            assertThat(AopUtils.isAopProxy(jobs)).isTrue();
            assertThat(jobs.process(new Jobs.Order("42"))).isTrue();
            assertThat(CurrentLock.handle()).isEmpty();
            // released afterwards
            LockProvider provider = context.getBean(LockProvider.class);
            provider.lock("order:42").tryAcquire().orElseThrow().release();
        });
    }

    @Test
    void spelNameFromANonStringValue_usesItsToString() {
        runner().run(context -> assertThat(context.getBean(Jobs.class).byDay(java.time.LocalDate.of(2026, 3, 1))).isTrue());
    }

    @Test
    void spelNameFromParametersByPosition() {
        runner().run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            LockProvider provider = context.getBean(LockProvider.class);
            try (LockHandle held = provider.lock("a-6").acquire(Duration.ofSeconds(5))) {
                assertThatThrownBy(() -> jobs.positional("a", 3)).isInstanceOf(LockTimeoutException.class).hasMessageContaining("'a-6'");
                assertThat(held.isLost()).isFalse();
            }
            assertThat(jobs.positional("a", 3)).isEqualTo("held");
        });
    }

    @Test
    void isoTimeoutIsAccepted() {
        runner().run(context -> assertThat(context.getBean(Jobs.class).isoTimeout("x")).isEqualTo("ran"));
    }

    @Test
    void waitFalse_onConflictFail_throwsLockTimeoutException_withoutRunningTheMethod() {
        runner().run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            String name = Stores.unique("once");
            try (LockHandle held = context.getBean(LockProvider.class).lock(name).acquire(Duration.ofSeconds(5))) {
                assertThatThrownBy(() -> jobs.once(name)).isInstanceOf(LockTimeoutException.class)
                        .hasMessageContaining(name).hasMessageContaining("waitForLock = false").hasMessageContaining("Jobs.once(String)");
                assertThatThrownBy(() -> jobs.shortWait(name)).isInstanceOf(LockTimeoutException.class).hasMessageContaining("within PT0.2S");
                assertThat(held.isLost()).isFalse();
            }
            assertThat(jobs.runs()).isEqualTo(0);
            assertThat(jobs.once(name)).isEqualTo("ran");
            assertThat(jobs.runs()).isEqualTo(1);
        });
    }

    @Test
    void waitFalse_onConflictSkip_returnsNullOrEmptyOptional_withoutRunningTheMethod() {
        runner().withPropertyValues("dlock.locked.on-conflict=skip").run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            String name = Stores.unique("skip");
            try (LockHandle held = context.getBean(LockProvider.class).lock(name).acquire(Duration.ofSeconds(5))) {
                assertThat(jobs.once(name)).isNull();
                assertThat(jobs.onceOptional(name)).isEqualTo(Optional.empty());
                jobs.onceVoid(name);
                assertThat(jobs.shortWait(name)).isNull();
                assertThat(held.isLost()).isFalse();
            }
            assertThat(jobs.runs()).isEqualTo(0);
            assertThat(jobs.onceOptional(name)).contains("ran");
            assertThat(jobs.runs()).isEqualTo(1);
        });
    }

    @Test
    void theMethodsExceptionPropagatesUnchanged_andTheLockIsReleased() {
        runner().run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            String name = Stores.unique("fails");
            assertThatThrownBy(() -> jobs.fails(name)).isInstanceOf(IllegalStateException.class).hasMessage("boom from the method");
            assertThat(CurrentLock.handle()).isEmpty();
            context.getBean(LockProvider.class).lock(name).tryAcquire().orElseThrow().release();
        });
    }

    @Test
    void aLockLostWhileTheMethodRuns_throwsLockLostException() {
        runner().run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            String name = Stores.unique("lost");
            assertThatThrownBy(() -> jobs.loseIt(name, dir)).isInstanceOf(LockLostException.class)
                    .hasMessageContaining(name).hasMessageContaining("Jobs.loseIt(String, Path)");
        });
    }

    @Test
    void theProviderClosedWhileTheMethodRuns_throwsLockLostException_notTheResult() {
        runner().run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            String name = Stores.unique("closed");
            assertThatThrownBy(() -> jobs.providerClosedUnderIt(name)).isInstanceOf(LockLostException.class)
                    .hasMessageContaining("close()");
        });
    }

    @Test
    void nestedLockedMethods_eachSeeTheirOwnHandle() {
        runner().run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            assertThat(jobs.nested(Stores.unique("n"), jobs)).isEqualTo("inner handle");
        });
    }

    @Test
    void invalidAnnotationValues_failAtFirstUse_namingTheMethod() {
        runner().run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            assertThatThrownBy(jobs::blankName).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Jobs.blankName()").hasMessageContaining("name must not be blank");
            assertThatThrownBy(() -> jobs.badTemplate("n")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Jobs.badTemplate(String)").hasMessageContaining("not a valid template");
            assertThatThrownBy(jobs::badDuration).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Jobs.badDuration()").hasMessageContaining("'10 parsecs' is not a duration");
            assertThatThrownBy(jobs::negativeDuration).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("'-5s' must not be negative");
            assertThatThrownBy(jobs::unitlessDuration).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("'10' has no unit");
            assertThatThrownBy(jobs::timeoutWithoutWait).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("no effect with waitForLock = false");
            assertThatThrownBy(jobs::async).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("returns CompletableFuture");
            // the failure repeats: nothing half-valid is cached
            assertThatThrownBy(jobs::blankName).isInstanceOf(IllegalStateException.class);
        });
    }

    @Test
    void aNameEvaluatingToNothing_failsTheCall() {
        runner().run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            assertThatThrownBy(() -> jobs.unknownVariable("n")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Jobs.unknownVariable(String)").hasMessageContaining("blank name");
            assertThatThrownBy(() -> jobs.process(null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cannot evaluate name 'order:#{#order.id}'");
            assertThat(jobs.runs()).isEqualTo(0);
        });
    }

    @Test
    void skipWithAPrimitiveReturnType_isRejected() {
        runner().withPropertyValues("dlock.locked.on-conflict=skip").run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            assertThatThrownBy(() -> jobs.primitive("p")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Jobs.primitive(String)").hasMessageContaining("returns int");
            assertThat(jobs.runs()).isEqualTo(0);
        });
        runner().run(context -> assertThat(context.getBean(Jobs.class).primitive("p")).isEqualTo(1));
    }

    @Test
    void withoutAProvider_aLockedMethodFailsClearly() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, DlockAutoConfiguration.class))
                .withBean(Jobs.class, () -> new Jobs(null))
                .run(context -> {
                    Jobs jobs = context.getBean(Jobs.class);
                    assertThatThrownBy(() -> jobs.once("x")).isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining("needs a LockProvider bean: set dlock.url");
                    assertThat(jobs.runs()).isEqualTo(0);
                });
    }
}
