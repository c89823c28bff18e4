package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Servers that are down when the provider opens: clear errors at first, then recovery with no restart of the application. */
class RedisRecoveryTest {

    @Test
    void serverDownAtOpen_failsClearly_thenWorksOnceItIsUp() throws Exception {
        int port = RedisServer.freePort();
        try (LockProvider locks = LockProvider.open("redis://127.0.0.1:" + port + "?prefix=recovery&timeout=1s")) {
            long start = System.nanoTime();
            LockBackendException e = assertThrows(LockBackendException.class, () -> locks.lock("r").tryAcquire());
            assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
            try (RedisServer server = RedisServer.startOn(port)) {
                LockHandle held = locks.lock("r").acquire(Duration.ofSeconds(10));
                CompletableFuture<LockHandle> waiter = locks.lock("r").acquireAsync(Duration.ofSeconds(20)); // pub/sub connects late too
                held.release();
                waiter.get(20, TimeUnit.SECONDS).release();
            }
        }
    }

    @Test
    void redlockWithNoServerUpAtOpen_failsClearly_thenWorksOnceAMajorityIsUp() throws Exception {
        int[] ports = {RedisServer.freePort(), RedisServer.freePort(), RedisServer.freePort()};
        String url = "redis://127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2] + "?prefix=recovery&timeout=1s";
        try (LockProvider locks = LockProvider.open(url)) {
            assertThrows(LockBackendException.class, () -> locks.lock("q").tryAcquire());
            try (RedisServer first = RedisServer.startOn(ports[0])) {
                assertThrows(LockBackendException.class, () -> locks.lock("q").tryAcquire(), "one of three is no quorum");
                try (RedisServer second = RedisServer.startOn(ports[1])) {
                    locks.lock("q").acquire(Duration.ofSeconds(10)).release();
                }
            }
        }
    }
}
