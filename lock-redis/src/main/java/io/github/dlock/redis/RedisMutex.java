package io.github.dlock.redis;

import java.util.List;

/** Mutex: key {@code PREFIX:{NAME}} holds the owner's token with a lease. */
final class RedisMutex extends RedisAcquirer {
    private final byte[] key;
    private final byte[] fence;

    RedisMutex(RedisLockProvider provider, String name) {
        super(provider, name, "");
        this.key = keys.key("");
        this.fence = keys.key(":fence");
    }

    @Override
    boolean oneAtATime() {
        return true;
    }

    @Override
    RedisScripts acquireScript() {
        return RedisScripts.ACQUIRE_MUTEX;
    }

    @Override
    List<byte[]> acquireKeys() {
        return List.of(key, fence);
    }

    @Override
    List<byte[]> acquireArgs(byte[] token, byte[] waiter, boolean willWait) {
        return List.of(token, provider.leaseMsBytes());
    }

    @Override
    byte[] holdKey() {
        return key;
    }

    @Override
    boolean heldAsMember() {
        return false;
    }

    @Override
    byte[] fenceKey() {
        return fence;
    }
}
