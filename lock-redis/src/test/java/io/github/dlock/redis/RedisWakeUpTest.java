package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.testkit.FaultProxy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** Waiters wake on a release published right after they subscribed, when the holder's lease runs out, and only then. */
class RedisWakeUpTest {
    private static RedisServer server;

    @BeforeAll
    static void start() throws Exception {
        server = RedisServer.start();
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    @Test
    void aReleaseRightAfterTheWaiterSubscribed_handsOverWithoutTheFallbackTimer() throws Exception {
        // The waiter's pooled connection is fast, its new subscriber connection slow (150 ms each way), so its
        // subscription takes several round trips to take effect; its fallback retry is 10 s.
        try (FaultProxy proxy = FaultProxy.start("127.0.0.1", server.port());
                LockProvider holder = LockProvider.open("redis://" + server.address());
                LockProvider waiter = LockProvider.open("redis://" + proxy.address() + "?retry=fixed:10s&timeout=10s")) {
            waiter.lock("warm-up").tryAcquire().orElseThrow().release(); // scripts loaded, a pooled connection open
            LockHandle held = holder.lock("handover").acquire();
            proxy.delayNewConnections(Duration.ofMillis(150));
            long before = evalshaCalls();
            CompletableFuture<LockHandle> waiting = waiter.lock("handover").acquireAsync(Duration.ofSeconds(60));
            // The waiter's second attempt (its first after subscribing) reached the server: its subscription must be in place.
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (evalshaCalls() < before + 2) {
                assertTrue(System.nanoTime() < giveUp, "the waiter never made its second attempt");
                Thread.sleep(1);
            }
            long subscribers;
            try (Jedis j = server.client()) {
                subscribers = j.pubsubNumSub("dlock:{handover}:released").getOrDefault("dlock:{handover}:released", 0L);
            }
            long released = System.nanoTime();
            held.release();
            assertEquals(1, subscribers, "the waiter retried before its subscription took effect: this release is not heard");
            waiting.get(30, TimeUnit.SECONDS).release();
            long handover = System.nanoTime() - released;
            assertTrue(handover < TimeUnit.SECONDS.toNanos(5), "the release was missed: handed over after " + handover / 1e6 + " ms (fallback 10 s)");
        }
    }

    @Test
    void aWaiterGetsTheLockWhenTheHoldersLeaseRunsOut_notAtItsNextRetry() throws Exception {
        try (LockProvider holder = LockProvider.open("redis://" + server.address() + "?renew=false&lease=1s");
                LockProvider waiter = LockProvider.open("redis://" + server.address() + "?retry=fixed:10s")) {
            for (String kind : List.of("mutex", "semaphore")) {
                long start = System.nanoTime();
                LockHandle held = kind.equals("mutex") ? holder.lock("expiring-" + kind).acquire() : holder.semaphore("expiring-" + kind, 1).acquire();
                Optional<LockHandle> got = kind.equals("mutex") ? waiter.lock("expiring-" + kind).tryAcquire(Duration.ofSeconds(30))
                        : waiter.semaphore("expiring-" + kind, 1).tryAcquire(Duration.ofSeconds(30));
                long waited = System.nanoTime() - start;
                assertTrue(got.isPresent());
                assertTrue(waited < TimeUnit.SECONDS.toNanos(3), kind + ": the waiter got the lock " + waited / 1e6
                        + " ms after the holder's 1 s lease began (its retry is 10 s)");
                got.get().release();
                held.release();
            }
        }
    }

    @Test
    void redlockWaiters_keepTheirRetryPauses() throws Exception {
        List<RedisServer> three = List.of(RedisServer.start(), RedisServer.start(), RedisServer.start());
        String hosts = three.stream().map(RedisServer::address).collect(Collectors.joining(","));
        try (LockProvider holder = LockProvider.open("redis://" + hosts);
                LockProvider waiter = LockProvider.open("redis://" + hosts + "?retry=fixed:100ms&maxAttempts=4")) {
            LockHandle held = holder.lock("paused").acquire();
            long start = System.nanoTime();
            assertEquals(Optional.empty(), waiter.lock("paused").tryAcquire(Duration.ofSeconds(30)));
            long waited = System.nanoTime() - start;
            // attempts: one, subscribe, one at once (a release may have come before the subscription), pause, one, pause, one
            assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(200), "4 attempts with 100 ms pauses gave up after " + waited / 1e6 + " ms");
            held.release();
        } finally {
            three.forEach(RedisServer::stop);
        }
    }

    private static long evalshaCalls() {
        try (Jedis j = server.client()) {
            for (String line : j.info("commandstats").split("\r?\n")) {
                if (line.startsWith("cmdstat_evalsha:calls=")) return Long.parseLong(line.substring("cmdstat_evalsha:calls=".length(), line.indexOf(',')));
            }
            return 0;
        }
    }
}
