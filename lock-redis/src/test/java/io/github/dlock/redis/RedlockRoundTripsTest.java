package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * What a Redlock acquire + release costs on healthy servers, counted by the servers
 * ({@code INFO commandstats}), not timed: the acquire script and the release script on each
 * server, as the floor does. The fencing write-back is a third round, needed only when the
 * servers that granted handed out different counters (it makes a majority's counters reach
 * the token, so the next majority meets it); when a majority already agrees on the token,
 * it is skipped. The invariant behind that is asserted for every acquisition: a majority of
 * counters is at the token or above, and tokens rise.
 */
class RedlockRoundTripsTest {
    private static final int CYCLES = 200;
    private List<RedisServer> servers;
    private String url;

    @BeforeEach
    void startServers() throws Exception {
        servers = List.of(RedisServer.start(), RedisServer.start(), RedisServer.start());
        url = "redis://" + servers.stream().map(RedisServer::address).collect(Collectors.joining(",")) + "?lease=10s";
    }

    @AfterEach
    void stopServers() {
        servers.forEach(RedisServer::stop);
    }

    @Test
    void acquireAndRelease_onAgreeingServers_costTwoScriptCallsPerServer() throws Exception {
        try (LockProvider locks = LockProvider.open(url)) {
            var lock = locks.lock("trips");
            lock.acquire().release(); // scripts loaded, connections open
            long[] before = evalCalls();
            long last = 0;
            for (int i = 0; i < CYCLES; i++) {
                try (LockHandle h = lock.acquire()) {
                    long token = h.fencingToken();
                    assertTrue(token > last, "token " + token + " after " + last + ": tokens went back");
                    last = token;
                    int atToken = 0;
                    for (RedisServer s : servers) {
                        try (Jedis j = s.client()) {
                            String v = j.get("dlock:{trips}:fence");
                            if (v != null && Long.parseLong(v) >= token) atToken++;
                        }
                    }
                    assertTrue(atToken >= 2, "token " + token + " is at or below the counter of only " + atToken + " of 3 servers");
                }
            }
            long[] after = evalCalls();
            for (int s = 0; s < servers.size(); s++) {
                assertEquals(2L * CYCLES, after[s] - before[s], "script calls on server " + s + " for " + CYCLES + " acquire + release cycles");
            }
        }
    }

    /** EVALSHA + EVAL calls each server has run so far. */
    private long[] evalCalls() {
        return servers.stream().mapToLong(RedisServer::scriptCalls).toArray();
    }
}
