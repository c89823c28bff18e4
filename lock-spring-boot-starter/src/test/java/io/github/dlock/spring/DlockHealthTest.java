package io.github.dlock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The dlock health indicator against real stores, reachable, unreachable and silent. */
class DlockHealthTest {
    @TempDir
    Path dir;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DlockAutoConfiguration.class, DlockHealthAutoConfiguration.class));

    private Health healthOf(String url, String... more) {
        Health[] out = new Health[1];
        runner.withPropertyValues("dlock.url=" + url).withPropertyValues(more).run(context -> {
            assertThat(context).hasNotFailed();
            out[0] = context.getBean("dlockHealthIndicator", HealthIndicator.class).health();
        });
        return out[0];
    }

    @Test
    void up_forEveryReachableStore() {
        assertThat(healthOf(Stores.file(dir)).getStatus()).isEqualTo(Status.UP);
        assertThat(healthOf(Stores.redis()).getStatus()).isEqualTo(Status.UP);
        Health pg = healthOf(Stores.postgres());
        assertThat(pg.getStatus()).isEqualTo(Status.UP);
        assertThat(pg.getDetails()).containsEntry("provider", "PostgresLockProvider").containsEntry("probeHolders", 0);
    }

    @Test
    void down_forAnUnreachableRedis_withTheErrorButNotThePassword() {
        Health h = healthOf("redis://app:s3cret-pw@127.0.0.1:1?timeout=1s");
        assertThat(h.getStatus()).isEqualTo(Status.DOWN);
        assertThat(h.getDetails()).containsKey("error");
        assertThat(String.valueOf(h.getDetails().get("error"))).contains("127.0.0.1:1");
        assertThat(h.toString()).doesNotContain("s3cret-pw");
    }

    @Test
    void down_withinTheHealthTimeout_whenTheStoreNeverAnswers() throws Exception {
        // accepts connections (the kernel's backlog) but never answers a command
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Health h = healthOf("redis://127.0.0.1:" + silent.getLocalPort() + "?timeout=3s", "dlock.health.timeout=300ms");
            assertThat(h.getStatus()).isEqualTo(Status.DOWN);
            assertThat(String.valueOf(h.getDetails().get("error"))).isEqualTo("the lock store gave no answer within 300 ms");
        }
    }

    @Test
    void noIndicatorWithoutTheActuator_orWhenDisabled() {
        runner.withClassLoader(new FilteredClassLoader(HealthIndicator.class)).withPropertyValues("dlock.url=" + Stores.file(dir))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(DlockHealthIndicator.class));
        runner.withPropertyValues("dlock.url=" + Stores.file(dir), "management.health.dlock.enabled=false")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(DlockHealthIndicator.class));
    }

    @Test
    void redaction_masksTheConfiguredPasswordsAndCredentialShapes() {
        Redaction r = Redaction.of("redis://app:p%40ss@h:6379/0?password=qpw&lease=5s", Map.of("password", "optpw", "owner", "me"));
        String masked = r.mask("failed for app:p%40ss / p@ss / qpw / optpw at postgresql://u:other@x/db?pwd=zz&user=u");
        assertThat(masked).doesNotContain("p%40ss", "p@ss", "qpw", "optpw", "other", "zz")
                .contains("postgresql://u:***@x/db", "pwd=***&user=u", "failed for");
        assertThat(Redaction.none().mask("redis://a:b@h")).isEqualTo("redis://a:***@h");
        assertThat(Redaction.none().mask(null)).isNull();
    }
}
