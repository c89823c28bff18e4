package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/** A server out of memory ({@code maxmemory} + {@code noeviction}): holds survive, new acquires fail clearly and leave nothing. */
class RedisMemoryPressureTest {
    private static final Duration LEASE = Duration.ofSeconds(1);
    private RedisServer server;

    @BeforeEach
    void start() throws Exception {
        server = RedisServer.start("--maxmemory", "4mb", "--maxmemory-policy", "noeviction");
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    @Test
    void outOfMemory_heldLocksOfEveryKindSurviveThreeLeases_newAcquiresFailNamingOom_andLeaveNothing() throws Exception {
        try (LockProvider locks = LockProvider.open("redis://" + server.address() + "?lease=" + LEASE.toMillis() + "ms")) {
            List<LockHandle> held = List.of(locks.lock("m").acquire(), locks.readWriteLock("r").readLock().acquire(),
                    locks.readWriteLock("w").writeLock().acquire(), locks.semaphore("s", 2).acquire());
            fillMemory();
            Thread.sleep(LEASE.multipliedBy(3).toMillis()); // three leases: only renewals keep them
            for (LockHandle h : held) {
                assertFalse(h.isLost(), "a held lock lost its lease to the out-of-memory server: " + h);
                assertTrue(h.remainingLease().orElseThrow().compareTo(Duration.ZERO) > 0, "no lease left: " + h);
            }
            assertOom(() -> locks.lock("m2").tryAcquire());
            assertOom(() -> locks.readWriteLock("r2").readLock().tryAcquire());
            assertOom(() -> locks.readWriteLock("w2").writeLock().tryAcquire());
            assertOom(() -> locks.semaphore("s2", 2).tryAcquire());
            assertOom(() -> locks.semaphore("s", 2).tryAcquire()); // a second permit of a held semaphore
            assertOom(() -> locks.readWriteLock("r").readLock().tryAcquire()); // a second reader
            try (Jedis j = server.client()) {
                assertEquals(0, j.exists("dlock:{m2}", "dlock:{m2}:fence", "dlock:{r2}:rw:readers", "dlock:{r2}:rw:fence",
                        "dlock:{w2}:rw:writer", "dlock:{w2}:rw:waiting", "dlock:{s2}:sem", "dlock:{s2}:sem:fence"), "a refused acquire left keys behind");
                assertEquals(1, j.zcard("dlock:{s}:sem"), "a refused permit was added");
                assertEquals(1, j.zcard("dlock:{r}:rw:readers"), "a refused reader was added");
            }
            for (LockHandle h : held) h.release(); // releasing needs no memory either
        }
    }

    @Test
    void evictingPolicy_isReportedAtProviderStart_noEvictionIsNot() throws Exception {
        try (RedisServer evicting = RedisServer.start("--maxmemory", "100mb", "--maxmemory-policy", "volatile-lru");
                RedisLockProvider warned = (RedisLockProvider) LockProvider.open("redis://" + evicting.address());
                RedisLockProvider quiet = (RedisLockProvider) LockProvider.open("redis://" + server.address())) {
            List<String> warnings = warned.evictionWarnings().get(10, TimeUnit.SECONDS);
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).contains("volatile-lru") && warnings.get(0).contains(evicting.address()), warnings.get(0));
            assertEquals(List.of(), quiet.evictionWarnings().get(10, TimeUnit.SECONDS));
        }
    }

    /** Fills the server well past maxmemory (a script is checked only before its first write), so it stays out of memory. */
    private void fillMemory() {
        try (Jedis j = server.client()) {
            j.eval("for i = 1, 8000 do redis.call('SET', 'fill:' .. i, string.rep('x', 1000)) end return 1");
            JedisDataException e = assertThrows(JedisDataException.class, () -> j.set("probe", "x"));
            assertTrue(e.getMessage().startsWith("OOM"), e.getMessage());
        }
    }

    private static void assertOom(Executable acquire) {
        LockBackendException e = assertThrows(LockBackendException.class, acquire);
        assertTrue(e.getMessage().contains("OOM"), e.getMessage());
    }
}
