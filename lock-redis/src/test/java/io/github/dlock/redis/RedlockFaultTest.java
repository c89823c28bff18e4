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

    /**
     * Tokens come from the counters of the servers that granted, so they rise across holders
     * only because each token is written back to a majority: the next majority always meets
     * it. Here the highest counter is on a server that later fails (it ran ahead of the
     * clocks, e.g. its clock was fast when it issued tokens), and another restarts empty: the
     * next majority's own counters are far below the last token, and only the write-back
     * keeps the token rising.
     */
    @Test
    void fencingTokens_keepRising_whenTheServerWithTheHighestCounterFails_andAnotherRestartsEmpty() throws Exception {
        long ahead = (System.currentTimeMillis() + TimeUnit.DAYS.toMillis(1)) * 1000; // a day ahead of the servers' clocks, in µs
        try (Jedis first = servers.get(0).client()) {
            first.set("dlock:{fenced}:fence", Long.toString(ahead));
        }
        servers.get(2).stop();
        long before;
        try (LockProvider locks = LockProvider.open(url); LockHandle h = locks.lock("fenced").acquire(Duration.ofSeconds(10))) {
            before = h.fencingToken(); // granted by servers 0 and 1
            assertTrue(before > ahead, "token " + before + " is not above the highest counter " + ahead);
        }
        servers.get(2).restartEmpty();
        servers.get(0).stop();
        try (LockProvider locks = LockProvider.open(url); LockHandle h = locks.lock("fenced").acquire(Duration.ofSeconds(10))) {
            // granted by servers 1 and 2: 2 restarted empty, 1 holds only what was written back to it
            assertTrue(h.fencingToken() > before, "token " + h.fencingToken() + " after " + before + ": tokens went back");
        }
    }

    @Test
    void fencingCounters_areWrittenBackToAMajority() throws Exception {
        // server 0's counter runs ahead of the clocks, so the token comes from it alone unless written back
        try (Jedis first = servers.get(0).client()) {
            first.set("dlock:{fenced}:fence", Long.toString((System.currentTimeMillis() + TimeUnit.DAYS.toMillis(1)) * 1000));
        }
        servers.get(2).stop(); // the majority is servers 0 and 1
        try (LockProvider locks = LockProvider.open(url)) {
            long token;
            try (LockHandle h = locks.lock("fenced").acquire()) {
                token = h.fencingToken();
            }
            int atToken = 0;
            for (RedisServer s : servers.subList(0, 2)) {
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
