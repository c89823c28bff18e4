package io.github.dlock.redis;

import java.nio.charset.StandardCharsets;

/**
 * Key and channel names of one lock: {@code PREFIX:{NAME}} plus a kind suffix. The name
 * inside the braces is the Redis Cluster hash tag, so all keys of a lock share a slot. Names
 * are used verbatim (Redis keys are binary-safe); since no suffix contains a brace, the text
 * after the last {@code }} always identifies the suffix, so distinct names never share a key.
 */
final class RedisKeys {
    final String base;

    RedisKeys(String prefix, String name, String kind) {
        this.base = prefix + ":{" + name + "}" + kind;
    }

    byte[] key(String suffix) {
        return (base + suffix).getBytes(StandardCharsets.UTF_8);
    }

    /** The channel that releases of this lock publish on. */
    String channel() {
        return base + ":released";
    }
}
