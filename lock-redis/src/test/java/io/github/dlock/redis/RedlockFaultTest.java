package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** Redlock with servers stopped and restarted empty. Each test gets three fresh servers. */
class RedlockFaultTest {
    private List<RedisServer> servers;
    private String url;

    @BeforeEach
    void startServers() throws Exception {
        servers = List.of(RedisServer.start(), RedisServer.start(), RedisServer.start());
        url = "redis://" + servers.stream().map(RedisServer::address).collect(Collectors.joining(",")) + "?lease=3s&timeout=500ms";
    }

    @AfterEach
    void stopServers() {
        servers.forEach(RedisServer::stop);
    }

    @Test
    void oneServerStopped_locksKeepWorking() throws Exception {
        servers.get(1).stop();
        try (LockProvider locks = LockProvider.open(url)) {
            try (LockHandle h = locks.lock("x").acquire(Duration.ofSeconds(5))) {
                assertEquals(java.util.Optional.empty(), locks.lock("x").tryAcquire());
                assertEquals(1, locks.holders("x").size());
            }
            locks.semaphore("s", 1).tryAcquire().orElseThrow().release();
            locks.readWriteLock("rw").writeLock().tryAcquire().orElseThrow().release();
        }
    }

    @Test
    void twoServersStopped_acquireFailsWithABackendError_andNothingStaysLockedOnTheLiveServer() throws Exception {
        servers.get(0).stop();
        servers.get(2).stop();
        try (LockProvider locks = LockProvider.open(url)) {
            LockBackendException e = assertThrows(LockBackendException.class, () -> locks.lock("x").acquire(Duration.ofSeconds(2)));
            assertTrue(e.getMessage().contains("1 of 3"), e.getMessage());
            assertThrows(LockBackendException.class, () -> locks.readWriteLock("rw").writeLock().tryAcquire());
            assertThrows(LockBackendException.class, () -> locks.semaphore("s", 2).tryAcquire());
        }
        try (Jedis live = servers.get(1).client()) {
            assertEquals(0, live.exists("dlock:{x}", "dlock:{rw}:rw:writer", "dlock:{s}:sem"), "a failed acquire left a hold behind");
        }
    }

    @Test
    void losingTheMajority_completesLostWithinALease() throws Exception {
        try (LockProvider locks = LockProvider.open(url)) {
            LockHandle h = locks.lock("x").acquire();
            servers.get(0).stop();
            servers.get(1).stop();
            h.lost().toCompletableFuture().get(10, TimeUnit.SECONDS);
            h.release();
        }
    }

    @Test
    void fencingTokens_keepRising_whenServersRestartEmpty() throws Exception {
        try (LockProvider locks = LockProvider.open(url)) {
            long last = 0;
            for (int round = 0; round < 6; round++) {
                try (LockHandle h = locks.lock("fenced").acquire(Duration.ofSeconds(10))) {
                    assertTrue(h.fencingToken() > last, "round " + round + ": " + h.fencingToken() + " <= " + last);
                    last = h.fencingToken();
                }
                servers.get(round % 3).restartEmpty();
            }
        }
    }

    @Test
    void fencingCounters_areWrittenBackToAMajority() throws Exception {
        try (LockProvider locks = LockProvider.open(url)) {
            long token;
            try (LockHandle h = locks.lock("fenced").acquire()) {
                token = h.fencingToken();
            }
            int atToken = 0;
            for (RedisServer s : servers) {
                try (Jedis j = s.client()) {
                    String v = j.get("dlock:{fenced}:fence");
                    if (v != null && Long.parseLong(v) >= token) atToken++;
                }
            }
            assertTrue(atToken >= 2, "token " + token + " reached only " + atToken + " servers");
        }
    }

    @Test
    void semaphoreOnThreeServers_neverAdmitsMoreHoldersThanPermits_evenWithAServerDown() throws Exception {
        servers.get(2).stop();
        try (LockProvider a = LockProvider.open(url); LockProvider b = LockProvider.open(url); LockProvider c = LockProvider.open(url)) {
            // 2 permits on 3 servers need all 3 (2 of 3 holders on different majorities could otherwise be 3 holders).
            assertThrows(LockBackendException.class, () -> a.semaphore("s", 2).tryAcquire());
            // 1 permit needs a majority, so it still works.
            LockHandle one = a.semaphore("s1", 1).tryAcquire().orElseThrow();
            assertEquals(java.util.Optional.empty(), b.semaphore("s1", 1).tryAcquire());
            one.release();
            c.semaphore("s1", 1).tryAcquire().orElseThrow().release();
        }
    }
}
