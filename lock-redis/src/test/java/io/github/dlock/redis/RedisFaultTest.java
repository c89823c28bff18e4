package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.testkit.ChildJvm;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** Loss, expiry, restarts and killed holders, on a Redis server of the test's own. */
class RedisFaultTest {
    private static final Duration LEASE = Duration.ofSeconds(3);
    private static RedisServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = RedisServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.stop();
    }

    private static String url() {
        return "redis://" + server.address() + "?lease=" + LEASE.toMillis() + "ms";
    }

    @Test
    void flushAll_completesLostWithinAboutOneRenewalInterval_forEveryKind() throws Exception {
        try (LockProvider locks = LockProvider.open(url())) {
            List<LockHandle> held = List.of(locks.lock("m").acquire(), locks.readWriteLock("rw").readLock().acquire(),
                    locks.readWriteLock("rw2").writeLock().acquire(), locks.semaphore("s", 2).acquire());
            try (Jedis j = server.client()) {
                j.flushAll();
            }
            for (LockHandle h : held) {
                h.lost().toCompletableFuture().get(LEASE.toMillis() * 2, TimeUnit.MILLISECONDS);
                h.release(); // releasing a lost handle does not throw
            }
        }
    }

    @Test
    void serverRestartedEmpty_completesLost_andLocksWorkAgainWithoutReopening() throws Exception {
        try (LockProvider locks = LockProvider.open(url())) {
            LockHandle h = locks.lock("restart").acquire();
            server.restartEmpty();
            h.lost().toCompletableFuture().get(LEASE.toMillis() * 3, TimeUnit.MILLISECONDS);
            locks.lock("restart").tryAcquire(Duration.ofSeconds(10)).orElseThrow().release();
        }
    }

    @Test
    void releaseOfALostHandle_neverDeletesTheNewOwnersKey() throws Exception {
        try (LockProvider a = LockProvider.open(url()); LockProvider b = LockProvider.open(url())) {
            LockHandle old = a.lock("taken-over").acquire();
            try (Jedis j = server.client()) {
                j.del("dlock:{taken-over}"); // as if the lease had run out while the holder was paused
            }
            LockHandle current = b.lock("taken-over").acquire(Duration.ofSeconds(5));
            old.lost().toCompletableFuture().get(LEASE.toMillis() * 2, TimeUnit.MILLISECONDS);
            old.release();
            assertEquals(Optional.empty(), a.lock("taken-over").tryAcquire(), "the stale release freed the new owner's lock");
            assertTrue(current.fencingToken() > old.fencingToken());
            current.release();
        }
    }

    @Test
    void leases_areRenewedPastTheirLength_andAReleasedHandleIsNeverRenewedAgain() throws Exception {
        try (RedisLockProvider locks = (RedisLockProvider) LockProvider.open(url());
                LockProvider other = LockProvider.open(url())) {
            LockHandle h = locks.lock("renewed").acquire();
            waitFor(Duration.ofMillis(LEASE.toMillis() * 2)); // two leases: without renewal the key would be gone
            assertFalse(h.isLost());
            assertEquals(Optional.empty(), other.lock("renewed").tryAcquire());
            h.release();
            long tripsAfterRelease = locks.roundTrips();
            waitFor(Duration.ofMillis(LEASE.toMillis())); // three renewal intervals
            assertEquals(tripsAfterRelease, locks.roundTrips(), "a released handle was renewed");
        }
    }

    @Test
    void withRenewalOff_theLeaseSimplyExpires() throws Exception {
        try (LockProvider locks = LockProvider.open(url() + "&renew=false"); LockProvider other = LockProvider.open(url())) {
            LockHandle h = locks.lock("expiring").acquire();
            other.lock("expiring").tryAcquire(LEASE.multipliedBy(3)).orElseThrow(() -> new AssertionError("an unrenewed lease must expire")).release();
            h.release();
        }
    }

    @Test
    void holderProcessKilled_anotherProcessAcquiresWithinLeasePlusOneSecond() throws Exception {
        String childUrl = "redis://" + server.address() + "?lease=2s";
        try (ChildJvm holder = ChildJvm.start("hold", childUrl, "killed", "exclusive"); LockProvider locks = LockProvider.open(url())) {
            holder.awaitLine("HELD", Duration.ofSeconds(60));
            assertEquals(Optional.empty(), locks.lock("killed").tryAcquire());
            holder.kill();
            assertTrue(locks.lock("killed").tryAcquire(Duration.ofSeconds(3)).map(h -> { h.release(); return true; }).orElse(false),
                    "lock of a kill -9'd holder not free within lease (2 s) + 1 s");
        }
    }

    @Test
    void handoff_wakesTheWaiterOnRelease_withoutWaitingForTheRetryTimer() throws Exception {
        // Fallback retry of 10 s: only the release message can wake the waiter quickly.
        try (LockProvider locks = LockProvider.open(url() + "&retry=fixed:10s")) {
            LockHandle first = locks.lock("handoff").acquire();
            CompletableFuture<LockHandle> waiter = locks.lock("handoff").acquireAsync(Duration.ofSeconds(30));
            waitFor(Duration.ofMillis(300)); // let the waiter fail its first attempt and start waiting
            first.release();
            waiter.get(5, TimeUnit.SECONDS).release();
        }
    }

    @Test
    void serverDown_acquireFailsWithABackendErrorNamingTheServer() throws Exception {
        RedisServer doomed = RedisServer.start();
        String address = doomed.address();
        doomed.stop();
        try (LockProvider locks = LockProvider.open("redis://" + address + "?timeout=500ms")) {
            io.github.dlock.LockBackendException e = org.junit.jupiter.api.Assertions.assertThrows(io.github.dlock.LockBackendException.class,
                    () -> locks.lock("x").tryAcquire());
            assertTrue(e.getMessage().contains(address), e.getMessage());
        }
    }

    /** Lets real time pass where the behaviour under test is about time (leases), not to let threads "settle". */
    private static void waitFor(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis());
    }
}
