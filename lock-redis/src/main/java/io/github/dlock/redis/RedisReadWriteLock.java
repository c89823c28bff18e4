package io.github.dlock.redis;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writer-preferring reader-writer lock: readers in sorted set {@code ...:rw:readers} scored by
 * lease expiry, the writer in key {@code ...:rw:writer}, and waiting writers in
 * {@code ...:rw:waiting} (scored by when their mark lapses, so a crashed waiter stops
 * blocking readers). New readers are refused while any writer waits.
 */
final class RedisReadWriteLock {
    private RedisReadWriteLock() {}

    /** The keys both sides use, in script order: readers, writer, waiting writers, fence. */
    private static List<byte[]> keysOf(RedisKeys k) {
        return List.of(k.key(":readers"), k.key(":writer"), k.key(":waiting"), k.key(":fence"));
    }

    /** The read side. */
    static final class Read extends RedisAcquirer {
        private final List<byte[]> keys;

        Read(RedisLockProvider provider, String name) {
            super(provider, name, ":rw");
            this.keys = keysOf(super.keys);
        }

        @Override
        boolean oneAtATime() {
            return false;
        }

        @Override
        RedisScripts acquireScript() {
            return RedisScripts.ACQUIRE_READ;
        }

        @Override
        List<byte[]> acquireKeys() {
            return keys;
        }

        @Override
        List<byte[]> acquireArgs(byte[] token, byte[] waiter, boolean willWait) {
            return List.of(token, provider.leaseMsBytes());
        }

        @Override
        byte[] holdKey() {
            return keys.get(0);
        }

        @Override
        boolean heldAsMember() {
            return true;
        }

        @Override
        byte[] fenceKey() {
            return keys.get(3);
        }
    }

    /** The write side. */
    static final class Write extends RedisAcquirer {
        private final List<byte[]> keys;
        private final byte[] channel;

        Write(RedisLockProvider provider, String name) {
            super(provider, name, ":rw");
            this.keys = keysOf(super.keys);
            this.channel = super.keys.channel().getBytes(StandardCharsets.UTF_8);
        }

        @Override
        boolean oneAtATime() {
            return false;
        }

        @Override
        RedisScripts acquireScript() {
            return RedisScripts.ACQUIRE_WRITE;
        }

        @Override
        List<byte[]> acquireKeys() {
            return keys;
        }

        @Override
        List<byte[]> acquireArgs(byte[] token, byte[] waiter, boolean willWait) {
            return List.of(token, provider.leaseMsBytes(), willWait ? provider.waitMarkMsBytes() : new byte[] {'0'}, waiter);
        }

        @Override
        void gaveUp(byte[] waiter) {
            provider.quorum().onSome(provider.quorum().majority(), n -> n.eval(RedisScripts.CANCEL_WRITE_WAIT, List.of(keys.get(2)), List.of(waiter, channel)));
        }

        @Override
        byte[] holdKey() {
            return keys.get(1);
        }

        @Override
        boolean heldAsMember() {
            return false;
        }

        @Override
        byte[] fenceKey() {
            return keys.get(3);
        }
    }
}
