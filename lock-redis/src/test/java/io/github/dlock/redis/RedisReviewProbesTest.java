package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.LockHolder;
import io.github.dlock.testkit.FaultProxy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Faults an adversarial review found after issue 11: each test starts its own servers and
 * reproduces one finding.
 */
class RedisReviewProbesTest {

    @Test
    void serverRestart_pooledConnectionsGoneStale_acquireRetriesOnAFreshConnection() throws Exception {
        try (RedisServer server = RedisServer.start();
                LockProvider locks = LockProvider.open("redis://" + server.address() + "?lease=5s&timeout=1s")) {
            locks.lock("restart").tryAcquire().orElseThrow().release(); // the pool now keeps an idle connection
            server.restartEmpty();
            Optional<LockHandle> h = locks.lock("restart").tryAcquire(Duration.ofSeconds(10));
            assertTrue(h.isPresent(), "a free lock was not acquired after the server restarted");
            try (Jedis j = server.client()) {
                assertTrue(j.exists("dlock:{restart}"), "the acquired lock is not on the restarted server");
            }
            h.get().release();
        }
    }

    @Test
    void redlockHolders_withOneServerStalled_completeOnTheMajority() throws Exception {
        Duration timeout = Duration.ofSeconds(1);
        List<RedisServer> servers = List.of(RedisServer.start(), RedisServer.start(), RedisServer.start());
        String url = "redis://" + servers.stream().map(RedisServer::address).collect(Collectors.joining(",")) + "?lease=10s&timeout="
                + timeout.toMillis() + "ms";
        try (LockProvider locks = LockProvider.open(url)) {
            LockHandle h = locks.lock("stalled-holders").acquire(Duration.ofSeconds(5));
            // a grant may reach the third server after acquire returned: wait until it holds the lock too
            try (Jedis third = servers.get(2).client()) {
                long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (!third.exists("dlock:{stalled-holders}") && System.nanoTime() < end) Thread.onSpinWait();
            }
            servers.get(2).pause();
            try {
                long start = System.nanoTime();
                List<LockHolder> holders = locks.holders("stalled-holders");
                long took = System.nanoTime() - start;
                assertEquals(1, holders.size(), holders::toString);
                assertTrue(took < timeout.toNanos(), "holders() took " + took / 1_000_000 + " ms with one of 3 servers stalled; the call timeout is "
                        + timeout);
            } finally {
                servers.get(2).resume();
            }
            h.release();
        } finally {
            servers.forEach(RedisServer::stop);
        }
    }

    @Test
    void closeRacingAcquire_waitersSeeOnlyTheProviderClosedException_single() throws Exception {
        try (RedisServer server = RedisServer.start()) {
            closeRacingAcquire("redis://" + server.address() + "?lease=5s&timeout=1s");
        }
    }

    @Test
    void closeRacingAcquire_waitersSeeOnlyTheProviderClosedException_redlock() throws Exception {
        List<RedisServer> servers = List.of(RedisServer.start(), RedisServer.start(), RedisServer.start());
        try {
            closeRacingAcquire("redis://" + servers.stream().map(RedisServer::address).collect(Collectors.joining(",")) + "?lease=5s&timeout=1s");
        } finally {
            servers.forEach(RedisServer::stop);
        }
    }

    /**
     * Rounds of: four threads acquiring and releasing one lock in a loop, and close() in the
     * middle. Every thread must end with the one exception of a closed provider, whatever step
     * the close caught it in (waiting, acquiring, just acquired, releasing).
     */
    private static void closeRacingAcquire(String url) throws Exception {
        int oddOnes = 0;
        StringBuilder seen = new StringBuilder();
        for (int round = 0; round < 30; round++) {
            LockProvider locks = LockProvider.open(url);
            io.github.dlock.DistributedLock lock = locks.lock("close-race-" + round);
            AtomicInteger acquisitions = new AtomicInteger();
            ConcurrentLinkedQueue<Throwable> endings = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread thread = new Thread(() -> {
                    try {
                        while (true) {
                            try (LockHandle h = lock.acquire(Duration.ofSeconds(10))) {
                                acquisitions.incrementAndGet();
                            }
                        }
                    } catch (Throwable e) {
                        endings.add(e);
                    }
                });
                thread.setDaemon(true);
                thread.start();
                threads.add(thread);
            }
            int until = 5 + round % 7 * 3;
            while (acquisitions.get() < until) Thread.onSpinWait();
            locks.close();
            for (Thread t : threads) {
                t.join(5_000);
                assertFalse(t.isAlive(), "a thread still runs 5 s after close()");
            }
            for (Throwable e : endings) {
                if (e instanceof IllegalStateException && e.getMessage().contains("closed")) continue;
                oddOnes++;
                java.io.StringWriter trace = new java.io.StringWriter();
                e.printStackTrace(new java.io.PrintWriter(trace));
                seen.append("\nround ").append(round).append(": ").append(trace);
            }
        }
        assertEquals(0, oddOnes, "threads racing close() must end with IllegalStateException saying the provider was closed; got:" + seen);
    }

    /**
     * A lost() callback that never returns holds up nothing else: renewals of the provider's
     * other locks go on, another handle's loss found by renewal completes its lost() at once,
     * and another's validity deadline fires on time with the path to Redis cut. (Regression
     * test: loss callbacks already run on a thread of their own, see HeldLock.)
     */
    @Test
    void aLostCallbackThatBlocksForever_delaysNoRenewalAndNoOtherLoss() throws Exception {
        Duration lease = Duration.ofSeconds(3);
        CountDownLatch never = new CountDownLatch(1);
        try (RedisServer server = RedisServer.start(); FaultProxy proxy = FaultProxy.start("127.0.0.1", server.port());
                LockProvider locks = LockProvider.open("redis://" + proxy.address() + "?lease=" + lease.toMillis() + "ms&timeout=500ms");
                Jedis direct = server.client()) {
            LockHandle a = locks.lock("blocking-a").acquire(lease);
            LockHandle b = locks.lock("blocking-b").acquire(lease);
            LockHandle c = locks.lock("blocking-c").acquire(lease);
            CompletableFuture<Void> aCallbackEntered = new CompletableFuture<>();
            a.lost().thenRun(() -> {
                aCallbackEntered.complete(null);
                try {
                    never.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                direct.del("dlock:{blocking-a}"); // the next renewal finds A gone
                aCallbackEntered.get(lease.toMillis(), TimeUnit.MILLISECONDS);

                // renewals go on: C's lease on the server is extended again after A's callback blocked (a renewal every
                // lease/3 puts its TTL back near the full lease, far above where it would have run down to without one)
                long ttlThen = direct.pttl("dlock:{blocking-c}");
                long then = System.nanoTime();
                java.util.function.LongSupplier renewedBy = () -> direct.pttl("dlock:{blocking-c}") - (ttlThen - (System.nanoTime() - then) / 1_000_000);
                while (renewedBy.getAsLong() < lease.toMillis() / 6 && System.nanoTime() - then < lease.toNanos()) Thread.onSpinWait();
                assertTrue(renewedBy.getAsLong() >= lease.toMillis() / 6, "no renewal within a lease after a lost() callback blocked");

                // a loss found by renewal completes B's lost() within a renewal interval, long before its lease would run out
                direct.del("dlock:{blocking-b}");
                b.lost().toCompletableFuture().get(lease.toMillis(), TimeUnit.MILLISECONDS);

                // a cut path: C's validity deadline fires by itself, within a lease of the cut
                proxy.mode(FaultProxy.Mode.BLACK_HOLE);
                long cut = System.nanoTime();
                c.lost().toCompletableFuture().get(lease.toMillis() + 1000, TimeUnit.MILLISECONDS);
                assertTrue(System.nanoTime() - cut < lease.toNanos(), "C's lost() completed later than a lease after the cut");
            } finally {
                never.countDown();
                proxy.heal();
            }
            a.release();
            b.release();
            c.release();
        }
    }
}
