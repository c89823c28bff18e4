package io.github.dlock.redis;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockProvider;
import java.nio.charset.StandardCharsets;
import io.github.dlock.testkit.LockTimings;
import java.util.Arrays;
import java.util.List;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisProtocol;

/**
 * Measures, in one run, uncontended acquire+release per second of {@link RedisLockProvider}
 * against the floor (raw Jedis running the same two EVALSHAs on one connection), and the
 * handoff latency from one holder's release to the next waiter holding the lock. Not a test:
 * it asserts nothing and is run by {@code lock-redis/perf.sh}; the JMH module supersedes it.
 *
 * <p>Arguments: {@code host port seconds-per-round rounds}.
 */
public final class RedisPerfHarness {
    private RedisPerfHarness() {}

    public static void main(String[] args) throws Exception {
        String host = args.length > 0 ? args[0] : "127.0.0.1";
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 6379;
        long roundMillis = (args.length > 2 ? Long.parseLong(args[2]) : 3) * 1000;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        String url = "redis://" + host + ":" + port + "?prefix=perf";

        double[] raw = new double[rounds];
        double[] ours = new double[rounds];
        try (Jedis jedis = new Jedis(new HostAndPort(host, port), DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP2).build());
                LockProvider provider = LockProvider.open(url)) {
            jedis.scriptLoad(RedisScripts.ACQUIRE_MUTEX.text);
            jedis.scriptLoad(RedisScripts.RELEASE_KEY.text);
            DistributedLock lock = provider.lock("uncontended");
            rawRate(jedis, roundMillis); // warm-up
            LockTimings.acquireReleaseRate(lock, roundMillis);
            for (int r = 0; r < rounds; r++) { // interleaved so machine noise hits both alike
                raw[r] = rawRate(jedis, roundMillis);
                ours[r] = LockTimings.acquireReleaseRate(lock, roundMillis);
            }
        }
        double rawMedian = LockTimings.median(raw);
        double oursMedian = LockTimings.median(ours);
        System.out.printf("uncontended acquire+release/s  raw Jedis (same 2 EVALSHA, 1 connection): %,.0f  dlock: %,.0f  ratio %.2f%n",
                rawMedian, oursMedian, oursMedian / rawMedian);
        System.out.println("  per round raw:   " + Arrays.toString(Arrays.stream(raw).mapToLong(Math::round).toArray()));
        System.out.println("  per round dlock: " + Arrays.toString(Arrays.stream(ours).mapToLong(Math::round).toArray()));

        try (LockProvider a = LockProvider.open(url); LockProvider b = LockProvider.open(url)) {
            System.out.println("handoff, waiter on the same provider: " + LockTimings.percentiles(LockTimings.handoffNanos(a.lock("handoff-1"), a.lock("handoff-1"), 2000, 3)));
            System.out.println("handoff, waiter on another provider: " + LockTimings.percentiles(LockTimings.handoffNanos(a.lock("handoff-2"), b.lock("handoff-2"), 2000, 3)));
        }
    }

    private static double rawRate(Jedis jedis, long millis) {
        byte[] key = "perf:{raw}".getBytes(StandardCharsets.UTF_8);
        byte[] fence = "perf:{raw}:fence".getBytes(StandardCharsets.UTF_8);
        byte[] token = "raw-owner#0123456789abcdef".getBytes(StandardCharsets.UTF_8);
        byte[] lease = "30000".getBytes(StandardCharsets.UTF_8);
        byte[] channel = "perf:{raw}:released".getBytes(StandardCharsets.UTF_8);
        List<byte[]> acquireKeys = List.of(key, fence);
        List<byte[]> acquireArgs = List.of(token, lease, "0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        List<byte[]> releaseKeys = List.of(key);
        List<byte[]> releaseArgs = List.of(token, channel);
        long end = System.nanoTime() + millis * 1_000_000;
        long n = 0;
        long start = System.nanoTime();
        while (System.nanoTime() < end) {
            jedis.evalsha(RedisScripts.ACQUIRE_MUTEX.sha, acquireKeys, acquireArgs);
            jedis.evalsha(RedisScripts.RELEASE_KEY.sha, releaseKeys, releaseArgs);
            n++;
        }
        return n * 1e9 / (System.nanoTime() - start);
    }

}
