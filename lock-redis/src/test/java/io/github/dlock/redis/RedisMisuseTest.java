package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import redis.clients.jedis.Jedis;

/** Absurd arguments, foreign keys in the lock namespace, failing servers: clear errors, locks untouched. */
class RedisMisuseTest {
    private static final Duration LEASE = Duration.ofSeconds(1);
    private static RedisServer server;

    @BeforeAll
    static void start() throws Exception {
        server = RedisServer.start();
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    private static String url() {
        return "redis://" + server.address() + "?lease=" + LEASE.toMillis() + "ms";
    }

    @Test
    void builderDurations_belowAMillisecondOrAboveADay_areRejectedNamingTheArgument() {
        // sub-millisecond timeouts became 0 ms (no timeout at all in Jedis), 2^31 ms and more overflowed, WAIT n 0 blocks forever
        for (java.time.Duration bad : List.of(java.time.Duration.ofNanos(500_000), java.time.Duration.ofDays(2), java.time.Duration.ofDays(30))) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> RedisLockProvider.builder().timeout(bad), "timeout " + bad);
            assertTrue(e.getMessage().contains("timeout"), e.getMessage());
            IllegalArgumentException r = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> RedisLockProvider.builder().waitForReplicas(1, bad), "replica timeout " + bad);
            assertTrue(r.getMessage().contains("timeout"), r.getMessage());
        }
        RedisLockProvider.builder().timeout(java.time.Duration.ofMillis(1)).waitForReplicas(1, java.time.Duration.ofDays(1));
    }

    @Test
    void extendWithAbsurdDurations_isAnIllegalArgumentNamingTheBound_andTheLockIsUntouched() throws Exception {
        try (LockProvider locks = LockProvider.open(url()); LockProvider other = LockProvider.open(url())) {
            LockHandle h = locks.lock("extend").acquire();
            for (Duration absurd : List.of(Duration.ofMillis(Long.MAX_VALUE), Duration.ofSeconds(Long.MAX_VALUE), Duration.ofDays(366))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> h.extend(absurd));
                assertTrue(e.getMessage().contains("duration") && e.getMessage().contains(RedisLockProvider.MAX_LEASE.toString()), e.getMessage());
            }
            IllegalArgumentException tiny = assertThrows(IllegalArgumentException.class, () -> h.extend(Duration.ofNanos(1)));
            assertTrue(tiny.getMessage().contains("duration") && tiny.getMessage().contains("1ms"), tiny.getMessage());
            Thread.sleep(LEASE.multipliedBy(3).toMillis()); // later renewals must still work
            assertFalse(h.isLost(), "the lock was lost after an absurd extend");
            assertEquals(Optional.empty(), other.lock("extend").tryAcquire());
            h.extend(Duration.ofSeconds(10));
            assertTrue(h.remainingLease().orElseThrow().compareTo(Duration.ofSeconds(5)) > 0, "extend did not lengthen the lease");
            h.release();
            other.lock("extend").tryAcquire().orElseThrow().release();
        }
    }

    @Test
    void aKeyOfTheWrongTypeWhereALockLives_failsTheAcquireNamingWrongtypeAndTheKey() throws Exception {
        try (LockProvider locks = LockProvider.open(url()); Jedis j = server.client()) {
            j.hset("dlock:{wt-mutex}", "f", "v");
            j.set("dlock:{wt-sem}:sem", "a string");
            j.hset("dlock:{wt-rw}:rw:writer", "f", "v");
            j.set("dlock:{wt-rw2}:rw:readers", "a string");
            assertWrongType("dlock:{wt-mutex}", () -> locks.lock("wt-mutex").tryAcquire(Duration.ofSeconds(30)));
            assertWrongType("dlock:{wt-sem}:sem", () -> locks.semaphore("wt-sem", 3).tryAcquire(Duration.ofSeconds(30)));
            assertWrongType("dlock:{wt-rw}:rw:writer", () -> locks.readWriteLock("wt-rw").readLock().tryAcquire(Duration.ofSeconds(30)));
            assertWrongType("dlock:{wt-rw}:rw:writer", () -> locks.readWriteLock("wt-rw").writeLock().tryAcquire(Duration.ofSeconds(30)));
            assertWrongType("dlock:{wt-rw2}:rw:readers", () -> locks.readWriteLock("wt-rw2").readLock().tryAcquire(Duration.ofSeconds(30)));
        }
    }

    @Test
    void singleServerFailures_keepTheServersReason_andSpeakOfOneServer() throws Exception {
        try (RedisServer locked = RedisServer.start("--requirepass", "secret");
                LockProvider locks = LockProvider.open("redis://" + locked.address())) {
            LockBackendException holders = assertThrows(LockBackendException.class, () -> locks.holders("x"));
            assertTrue(holders.getMessage().contains("NOAUTH"), holders.getMessage());
            LockBackendException acquire = assertThrows(LockBackendException.class, () -> locks.lock("x").tryAcquire());
            assertTrue(acquire.getMessage().contains("NOAUTH"), acquire.getMessage());
            assertFalse(acquire.getMessage().contains("are needed") || acquire.getMessage().contains("of 1"), acquire.getMessage());
        }
    }

    @Test
    void redlockRelease_withThreeOfFiveServersDown_throws() throws Exception {
        List<RedisServer> five = new ArrayList<>();
        for (int i = 0; i < 5; i++) five.add(RedisServer.start());
        try (LockProvider locks = LockProvider.open("redis://" + five.stream().map(RedisServer::address).collect(Collectors.joining(","))
                + "?lease=10s&timeout=500ms")) {
            LockHandle h = locks.lock("five").acquire();
            for (int i = 0; i < 3; i++) five.get(i).stop();
            LockBackendException e = assertThrows(LockBackendException.class, h::release);
            assertTrue(e.getMessage().contains("2 of 5"), e.getMessage());
        } finally {
            five.forEach(RedisServer::stop);
        }
    }

    private static void assertWrongType(String key, Executable acquire) {
        LockBackendException e = assertThrows(LockBackendException.class, acquire);
        assertTrue(e.getMessage().contains("WRONGTYPE") && e.getMessage().contains(key), e.getMessage());
    }
}
