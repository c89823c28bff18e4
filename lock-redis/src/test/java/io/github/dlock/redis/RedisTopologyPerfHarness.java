package io.github.dlock.redis;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.testkit.LockTimings;
import io.github.dlock.testkit.RedisTopologies;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Redis Cluster beside one standalone server, in one run, on processes it starts (same binary,
 * same settings): uncontended acquire + release per second (1 thread, interleaved rounds,
 * median), release-to-next-holder handoff (sharded pub/sub on the cluster, PUBLISH on the
 * server), how 10,000 names spread over the masters (EVALSHA per master), and renewal round
 * trips per master per interval with those 10,000 held. Not a test: it asserts nothing and is
 * run by {@code lock-redis/perf-topologies.sh}.
 *
 * <p>Arguments: {@code seconds-per-round rounds}.
 */
public final class RedisTopologyPerfHarness {
    private RedisTopologyPerfHarness() {}

    public static void main(String[] args) throws Exception {
        long roundMillis = (args.length > 0 ? Long.parseLong(args[0]) : 3) * 1000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        RedisServer server = RedisServer.start();
        RedisTopologies.Cluster cluster = RedisTopologies.startCluster();
        try {
            String standaloneUrl = "redis://" + server.address() + "?prefix=perf";
            String clusterUrl = cluster.url("prefix=perf");
            double[] one = new double[rounds];
            double[] clustered = new double[rounds];
            try (LockProvider s = LockProvider.open(standaloneUrl); LockProvider c = LockProvider.open(clusterUrl)) {
                LockTimings.acquireReleaseRate(s.lock("uncontended"), roundMillis); // warm-up
                LockTimings.acquireReleaseRate(c.lock("uncontended"), roundMillis);
                for (int r = 0; r < rounds; r++) {
                    one[r] = LockTimings.acquireReleaseRate(s.lock("uncontended"), roundMillis);
                    clustered[r] = LockTimings.acquireReleaseRate(c.lock("uncontended"), roundMillis);
                }
            }
            System.out.printf("uncontended acquire+release/s, 1 thread: standalone %,.0f  cluster %,.0f  ratio %.2f%n",
                    LockTimings.median(one), LockTimings.median(clustered), LockTimings.median(clustered) / LockTimings.median(one));
            System.out.println("  per round standalone: " + Arrays.toString(Arrays.stream(one).mapToLong(Math::round).toArray()));
            System.out.println("  per round cluster:    " + Arrays.toString(Arrays.stream(clustered).mapToLong(Math::round).toArray()));

            for (String[] t : new String[][] {{"standalone", standaloneUrl}, {"cluster", clusterUrl}}) {
                try (LockProvider a = LockProvider.open(t[1]); LockProvider b = LockProvider.open(t[1])) {
                    System.out.println("handoff on " + t[0] + ", waiter on another provider: "
                            + LockTimings.percentiles(LockTimings.handoffNanos(a.lock("handoff"), b.lock("handoff"), 2000, 3)));
                }
            }

            List<RedisTopologies.RedisProcess> masters = cluster.masters();
            long[] before = masters.stream().mapToLong(RedisTopologyPerfHarness::evalsha).toArray();
            long leaseMs = 3000;
            try (RedisLockProvider p = (RedisLockProvider) LockProvider.open(cluster.url("prefix=spread&lease=" + leaseMs + "ms"))) {
                List<LockHandle> held = new ArrayList<>();
                for (int i = 0; i < 10_000; i++) held.add(p.lock("name-" + i).tryAcquire().orElseThrow());
                long[] acquired = new long[masters.size()];
                for (int m = 0; m < masters.size(); m++) acquired[m] = evalsha(masters.get(m)) - before[m];
                System.out.println("10,000 names, acquire EVALSHA per master: " + Arrays.toString(acquired));
                long trips = p.roundTrips();
                long start = System.nanoTime();
                Thread.sleep(3 * leaseMs);
                double intervals = (System.nanoTime() - start) / 1e6 / (leaseMs / 3.0);
                System.out.printf("renewal of 10,000 leases: %d round trips in %.1f intervals on %d masters = %.2f per master per interval%n",
                        p.roundTrips() - trips, intervals, masters.size(), (p.roundTrips() - trips) / intervals / masters.size());
                held.forEach(LockHandle::release);
            }
        } finally {
            server.stop();
            cluster.nodes().forEach(RedisTopologies.RedisProcess::kill);
        }
    }

    private static long evalsha(RedisTopologies.RedisProcess server) {
        for (String line : server.cli("INFO", "commandstats").split("\\r?\\n")) {
            if (line.startsWith("cmdstat_evalsha:calls=")) return Long.parseLong(line.replaceFirst("^cmdstat_evalsha:calls=(\\d+),.*", "$1"));
        }
        return 0;
    }
}
