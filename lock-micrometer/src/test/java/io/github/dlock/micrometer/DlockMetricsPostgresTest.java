package io.github.dlock.micrometer;

import static io.github.dlock.micrometer.Meters.assertCount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.LockTimeoutException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@link DlockMetrics} on PostgreSQL ({@code $DLOCK_POSTGRES_URL}, default the loopback
 * server's {@code test} database as {@code postgres}): acquires, holds, and a loss made by
 * terminating the provider's sessions.
 */
class DlockMetricsPostgresTest {

    private static String baseUrl() {
        return io.github.dlock.testkit.TestServers.postgresUrl();
    }

    /** A plain JDBC connection to the same database. */
    private static Connection jdbc() throws Exception {
        URI u = URI.create(baseUrl().replaceFirst("^jdbc:", ""));
        String user = u.getUserInfo() == null ? "postgres" : u.getUserInfo().split(":")[0];
        String password = u.getUserInfo() != null && u.getUserInfo().contains(":") ? u.getUserInfo().split(":", 2)[1] : null;
        return DriverManager.getConnection("jdbc:postgresql://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "") + u.getPath(), user, password);
    }

    @Test
    void aKnownSequence_andALossByATerminatedSession() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        String owner = "dlock-mm-" + UUID.randomUUID();
        String base = baseUrl();
        String url = base + (base.contains("?") ? "&" : "?") + "keepAlive=1s&prefix=dlockmm&owner=" + owner;
        try (LockProvider locks = LockProvider.open(url); DlockMetrics metrics = new DlockMetrics(locks)) {
            metrics.bindTo(registry);
            Meters m = new Meters(registry, "postgresql");
            String name = "m-" + UUID.randomUUID();
            DistributedLock mutex = locks.lock(name);
            LockHandle h = mutex.acquire(Duration.ofSeconds(5));
            assertTrue(mutex.tryAcquire().isEmpty());
            assertThrows(LockTimeoutException.class, () -> mutex.acquire(Duration.ofMillis(100)));
            assertCount(1, m.heldLocks(), "one lock held");
            h.release();
            LockHandle r = locks.readWriteLock(name).readLock().acquire(Duration.ofSeconds(5));
            LockHandle p = locks.semaphore(name, 2).acquire(Duration.ofSeconds(5));
            assertCount(2, m.heldLocks(), "a reader and a permit");
            r.release();
            p.release();

            LockHandle doomed = locks.lock("doomed-" + UUID.randomUUID()).acquire(Duration.ofSeconds(5));
            try (Connection c = jdbc(); PreparedStatement ps = c.prepareStatement(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE (application_name = ? OR starts_with(application_name, ? || '@'))")) {
                ps.setString(1, owner);
                ps.setString(2, owner);
                ps.execute();
            }
            Meters.await(() -> m.lost("mutex") == 1, "the terminated session's lock to be counted lost");
            assertTrue(doomed.isLost());
            doomed.release();
            assertCount(0, m.heldLocks(), "all released");

            assertEquals(2, m.acquires("mutex", "acquired"));
            assertEquals(1, m.acquires("mutex", "empty"));
            assertEquals(1, m.acquires("mutex", "timeout"));
            assertEquals(1, m.acquires("read", "acquired"));
            assertEquals(1, m.acquires("permit", "acquired"));
            assertEquals(6, m.allAcquires());
            assertEquals(2, m.releases("mutex"));
            assertEquals(1, m.releases("read"));
            assertEquals(1, m.releases("permit"));
            assertCount(0, m.renewalRoundTrips(), "PostgreSQL sessions have no lease to renew");
            assertCount(0, m.renewalFailures(), "PostgreSQL sessions have no lease to renew");
        }
    }
}
