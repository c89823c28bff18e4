package io.github.dlock.bench;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.redis.RedisLockProvider;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import redis.clients.jedis.Jedis;

/**
 * Cost of keeping {@code leases} Redis leases alive: client CPU and round trips per renewal
 * interval, and the servers' EVALSHA calls and CPU, over a few intervals with nothing else
 * running. Lease 3 s, so renewal runs every second.
 */
final class RenewalCost {
    record Result(String store, int servers, int leases, double intervals, double roundTripsPerInterval,
            double clientCpuMsPerInterval, double serverCallsPerInterval, double serverCpuMsPerInterval) {}

    private RenewalCost() {}

    static Result measure(String store, String url, int leases, int intervals) throws Exception {
        List<URI> servers = Targets.redisServers(url);
        try (LockProvider provider = LockProvider.open(url + "?prefix=renewbench&lease=3s")) {
            RedisLockProvider redis = (RedisLockProvider) provider;
            java.lang.reflect.Method roundTrips = RedisLockProvider.class.getDeclaredMethod("roundTrips"); // package-private: not API
            roundTrips.setAccessible(true);
            List<LockHandle> held = new ArrayList<>(leases);
            String run = UUID.randomUUID().toString();
            for (int i = 0; i < leases; i++) held.add(provider.lock("lease-" + run + "-" + i).tryAcquire().orElseThrow());
            Thread.sleep(1500); // let the first renewal after the burst pass
            long trips0 = (Long) roundTrips.invoke(redis);
            long cpu0 = processCpuNanos();
            double[] server0 = serverStats(servers);
            long t0 = System.nanoTime();
            Thread.sleep(intervals * 1000L);
            double elapsedIntervals = (System.nanoTime() - t0) / 1e9;
            long trips = (Long) roundTrips.invoke(redis) - trips0;
            long cpu = processCpuNanos() - cpu0;
            double[] server1 = serverStats(servers);
            for (LockHandle h : held) h.release();
            return new Result(store, servers.size(), leases, elapsedIntervals, trips / elapsedIntervals, cpu / 1e6 / elapsedIntervals,
                    (server1[0] - server0[0]) / elapsedIntervals, (server1[1] - server0[1]) * 1000 / elapsedIntervals);
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** Summed over the servers: EVALSHA calls, and CPU seconds (user + sys). */
    private static double[] serverStats(List<URI> servers) {
        double calls = 0;
        double cpu = 0;
        for (URI s : servers) {
            try (Jedis j = new Jedis(s.getHost(), s.getPort())) {
                for (String line : j.info("commandstats").split("\\R")) {
                    if (line.startsWith("cmdstat_evalsha:")) calls += Double.parseDouble(line.replaceAll("^cmdstat_evalsha:calls=(\\d+),.*", "$1"));
                }
                for (String line : j.info("cpu").split("\\R")) {
                    if (line.startsWith("used_cpu_user:") || line.startsWith("used_cpu_sys:")) cpu += Double.parseDouble(line.split(":")[1]);
                }
            }
        }
        return new double[] {calls, cpu};
    }
}
