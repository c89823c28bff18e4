package io.github.dlock.postgres;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.TortureConformance;
import io.github.dlock.testkit.torture.Torture;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

/** PostgreSQL torture: besides kill -9 of workers, pg_terminate_backend of every worker session now and then. */
class PostgresTortureTest extends TortureConformance {
    @Override
    protected ConformanceBackend backend() {
        return PostgresBackend.INSTANCE;
    }

    @Override
    protected List<Torture.Fault> faults() {
        return List.of(new Torture.Fault() {
            @Override
            public String name() {
                return "pg_terminate_backend of the workers' sessions";
            }

            @Override
            public void inject() throws Exception {
                try (Connection c = PostgresBackend.jdbc(); Statement s = c.createStatement()) {
                    s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'torture-%'");
                }
            }
        });
    }

    @Override
    protected Duration faultWindow() {
        return Duration.ofSeconds(3); // the 1 s keep-alive of the test URL and a margin
    }
}
