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
        this(prefix, name, kind, false);
    }

    /**
     * Keys for a Redis Cluster when {@code clustered}: there a hash tag must not be empty
     * (Redis would hash each whole key, putting a lock's keys in different slots), so a name
     * starting with <code>}</code> or {@code =} is tagged as {@code =NAME} (an injective change:
     * only such names start with {@code =} after it); every other name keeps {@code {NAME}},
     * as on one server.
     */
    RedisKeys(String prefix, String name, String kind, boolean clustered) {
        String tag = clustered && (name.startsWith("}") || name.startsWith("=")) ? "=" + name : name;
        this.base = prefix + ":{" + tag + "}" + kind;
    }

    byte[] key(String suffix) {
        return (base + suffix).getBytes(StandardCharsets.UTF_8);
    }

    /** The channel that releases of this lock publish on. */
    String channel() {
        return base + ":released";
    }
}
