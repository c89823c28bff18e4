package io.github.dlock.redis;

import java.nio.charset.StandardCharsets;
import java.util.List;
import redis.clients.jedis.Jedis;

/**
 * The Redis floor for lock-bench: exactly the two scripts a dlock mutex runs (acquire, release),
 * sent raw with Jedis on one connection. It lives in this package to reuse the backend's own
 * scripts rather than a copy that could drift.
 */
public final class RedisFloor {
    private final Jedis jedis;
    private final List<byte[]> acquireKeys;
    private final List<byte[]> acquireArgs;
    private final List<byte[]> releaseKeys;
    private final List<byte[]> releaseArgs;

    /** Loads the scripts on {@code jedis} and prepares keys unique to {@code name}. */
    public RedisFloor(Jedis jedis, String name) {
        this.jedis = jedis;
        jedis.scriptLoad(RedisScripts.ACQUIRE_MUTEX.text);
        jedis.scriptLoad(RedisScripts.RELEASE_KEY.text);
        byte[] key = bytes(key(name));
        byte[] fence = bytes("floor:{" + name + "}:fence");
        byte[] token = bytes("floor-owner#" + name);
        this.acquireKeys = List.of(key, fence);
        this.acquireArgs = List.of(token, bytes("30000"), bytes("0"));
        this.releaseKeys = List.of(key);
        this.releaseArgs = List.of(token, bytes("floor:{" + name + "}:released"));
    }

    /** The floor's lock key for {@code name}; its fence and release channel share its hash tag (one cluster slot). */
    public static String key(String name) {
        return "floor:{" + name + "}";
    }

    /** One acquire + release, as two round trips. */
    public void cycle() {
        jedis.evalsha(RedisScripts.ACQUIRE_MUTEX.sha, acquireKeys, acquireArgs);
        jedis.evalsha(RedisScripts.RELEASE_KEY.sha, releaseKeys, releaseArgs);
    }

    /** The same cycle on several independent servers at once (pipelined: all requests out, then all replies). */
    public static void cycle(List<RedisFloor> servers) {
        List<redis.clients.jedis.Pipeline> pipes = new java.util.ArrayList<>(servers.size());
        for (RedisFloor f : servers) {
            redis.clients.jedis.Pipeline p = f.jedis.pipelined();
            p.evalsha(RedisScripts.ACQUIRE_MUTEX.sha, f.acquireKeys, f.acquireArgs);
            pipes.add(p);
        }
        pipes.forEach(redis.clients.jedis.Pipeline::sync);
        pipes.clear();
        for (RedisFloor f : servers) {
            redis.clients.jedis.Pipeline p = f.jedis.pipelined();
            p.evalsha(RedisScripts.RELEASE_KEY.sha, f.releaseKeys, f.releaseArgs);
            pipes.add(p);
        }
        pipes.forEach(redis.clients.jedis.Pipeline::sync);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
