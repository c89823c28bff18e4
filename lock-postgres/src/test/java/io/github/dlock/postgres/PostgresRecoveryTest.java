package io.github.dlock.postgres;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A database that is down when the provider opens, and comes up later. The shared loopback
 * server cannot be stopped for one test, so a PgBouncer in session mode stands in for "the
 * database endpoint": nothing listens on its port at first, then it starts there.
 */
class PostgresRecoveryTest {

    /**
     * HikariCP may still be backing off from the failed attempts when the endpoint comes up, so
     * the first calls can fail; recovery means one succeeds soon, with the same provider.
     */
    private static LockHandle firstAcquireOnceUp(LockProvider locks) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            try {
                return locks.lock("r").acquire(Duration.ofSeconds(10));
            } catch (LockBackendException stillRecovering) {
                if (System.nanoTime() > deadline) throw stillRecovering;
                Thread.sleep(200);
            }
        }
    }

    @Test
    void databaseDownAtOpen_failsClearly_thenWorksOnceItIsUp() throws Exception {
        int port = PgBouncer.freePortOrFail();
        String user = java.net.URI.create(PostgresBackend.baseUrl().replaceFirst("^jdbc:", "")).getUserInfo();
        String url = "postgresql://" + (user == null ? "postgres" : user.split(":")[0]) + "@127.0.0.1:" + port + "/test?prefix=recovery&timeout=1s";
        try (LockProvider locks = LockProvider.open(url)) {
            long start = System.nanoTime();
            LockBackendException e = assertThrows(LockBackendException.class, () -> locks.lock("r").tryAcquire());
            assertTrue(e.getMessage().contains("onnection"), e.getMessage());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
            try (PgBouncer endpoint = new PgBouncer("session", "trust", Map.of(user == null ? "postgres" : user.split(":")[0], ""), null, port)) {
                LockHandle held = firstAcquireOnceUp(locks);
                CompletableFuture<LockHandle> waiter = locks.lock("r").acquireAsync(Duration.ofSeconds(20));
                held.release();
                waiter.get(20, TimeUnit.SECONDS).release();
                locks.semaphore("r", 1).acquire(Duration.ofSeconds(10)).release();
            }
        }
    }
}
