package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * 10,000 held leases stay alive across several renewal intervals, and renewing them costs a
 * round trip per server per interval, not one per lock.
 */
class RedisRenewalScaleTest {
    private static final int LOCKS = 10_000;
    private static final long LEASE_MS = 3000;
    private static final long INTERVAL_MS = LEASE_MS / 3;

    @Test
    void tenThousandLeases_onOneServer_renewInOneRoundTripPerInterval() throws Exception {
        try (RedisServer server = RedisServer.start()) {
            check(List.of(server));
        }
    }

    @Test
    void tenThousandLeases_onThreeServers_renewInOneRoundTripPerServerPerInterval() throws Exception {
        List<RedisServer> servers = List.of(RedisServer.start(), RedisServer.start(), RedisServer.start());
        try {
            check(servers);
        } finally {
            servers.forEach(RedisServer::stop);
        }
    }

    @Test
    void tenThousandLeases_onAClusterOfThreeMasters_renewInOneRoundTripPerMasterPerInterval() throws Exception {
        io.github.dlock.testkit.RedisTopologies.Cluster cluster = io.github.dlock.testkit.RedisTopologies.startCluster();
        try (RedisLockProvider locks = (RedisLockProvider) LockProvider.open(cluster.url("lease=" + LEASE_MS + "ms&prefix=scale"));
                LockProvider other = LockProvider.open(cluster.url("lease=" + LEASE_MS + "ms&prefix=scale"))) {
            List<io.github.dlock.testkit.RedisTopologies.RedisProcess> masters = cluster.masters();
            List<LockHandle> held = new ArrayList<>(LOCKS);
            for (int i = 0; i < LOCKS; i++) held.add(locks.lock("scale-" + i).tryAcquire().orElseThrow());
            long[] before = masters.stream().mapToLong(RedisRenewalScaleTest::evalshaCalls).toArray();
            long tripsBefore = locks.roundTrips();
            long start = System.nanoTime();
            Thread.sleep(3 * LEASE_MS);
            double intervals = (System.nanoTime() - start) / 1e6 / INTERVAL_MS;
            long trips = locks.roundTrips() - tripsBefore;
            long[] renewals = new long[masters.size()];
            for (int m = 0; m < masters.size(); m++) renewals[m] = evalshaCalls(masters.get(m)) - before[m];

            assertTrue(held.stream().noneMatch(LockHandle::isLost), "a lease was lost");
            for (int i = 0; i < LOCKS; i += 997) {
                assertEquals(java.util.Optional.empty(), other.lock("scale-" + i).tryAcquire(), "lock scale-" + i + " expired");
            }
            System.out.printf("renewal of %d leases on a cluster of %d masters: %d round trips in %.1f intervals (%.2f per interval per master); "
                    + "EVALSHA per master %s%n", LOCKS, masters.size(), trips, intervals, trips / intervals / masters.size(), java.util.Arrays.toString(renewals));
            assertTrue(trips <= (Math.floor(intervals) + 1) * masters.size(), trips + " round trips for " + intervals + " intervals on " + masters.size() + " masters");
            long total = java.util.Arrays.stream(renewals).sum();
            assertTrue(total >= (Math.floor(intervals) - 2) * LOCKS, "every lease must be renewed each interval: " + total);
            for (long r : renewals) assertTrue(r > total / 5, "leases spread over every master: " + java.util.Arrays.toString(renewals));
            for (LockHandle h : held) h.release();
        } finally {
            cluster.nodes().forEach(io.github.dlock.testkit.RedisTopologies.RedisProcess::kill);
        }
    }

    private static long evalshaCalls(io.github.dlock.testkit.RedisTopologies.RedisProcess server) {
        for (String line : server.cli("INFO", "commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_evalsha:calls=")) return Long.parseLong(line.replaceFirst("^cmdstat_evalsha:calls=(\\d+),.*", "$1"));
        }
        return 0;
    }

    private static void check(List<RedisServer> servers) throws Exception {
        String url = "redis://" + servers.stream().map(RedisServer::address).collect(Collectors.joining(",")) + "?lease=" + LEASE_MS + "ms";
        try (RedisLockProvider locks = (RedisLockProvider) LockProvider.open(url); LockProvider other = LockProvider.open(url)) {
            List<LockHandle> held = new ArrayList<>(LOCKS);
            for (int i = 0; i < LOCKS; i++) held.add(locks.lock("scale-" + i).tryAcquire().orElseThrow());
            long evalshaBefore = evalshaCalls(servers.get(0));
            long tripsBefore = locks.roundTrips();
            long start = System.nanoTime();
            Thread.sleep(3 * LEASE_MS); // three leases: every lock needs several renewals to survive
            double intervals = (System.nanoTime() - start) / 1e6 / INTERVAL_MS;
            long trips = locks.roundTrips() - tripsBefore;
            long renewalsOnFirstServer = evalshaCalls(servers.get(0)) - evalshaBefore;

            assertTrue(held.stream().noneMatch(LockHandle::isLost), "a lease was lost");
            for (int i = 0; i < LOCKS; i += 997) {
                assertEquals(java.util.Optional.empty(), other.lock("scale-" + i).tryAcquire(), "lock scale-" + i + " expired");
            }
            int n = servers.size();
            System.out.printf("renewal of %d leases on %d server(s): %d round trips in %.1f intervals (%.2f per interval per server); "
                    + "%d EVALSHA on the first server%n", LOCKS, n, trips, intervals, trips / intervals / n, renewalsOnFirstServer);
            assertTrue(trips <= (Math.floor(intervals) + 1) * n, trips + " round trips for " + intervals + " intervals on " + n + " servers");
            assertTrue(trips >= (Math.floor(intervals) - 2) * n, "renewals did not run every interval: " + trips);
            assertTrue(renewalsOnFirstServer >= (Math.floor(intervals) - 2) * LOCKS, "every lease must be renewed each interval: " + renewalsOnFirstServer);
            for (LockHandle h : held) h.release();
        }
    }

    private static long evalshaCalls(RedisServer server) {
        try (Jedis j = server.client()) {
            for (String line : j.info("commandstats").split("\r\n")) {
                if (line.startsWith("cmdstat_evalsha:calls=")) return Long.parseLong(line.replaceFirst("^cmdstat_evalsha:calls=(\\d+),.*", "$1"));
            }
            return 0;
        }
    }
}
