package io.github.dlock.redis;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Semaphore: sorted set {@code PREFIX:{NAME}:sem} of holder tokens scored by lease expiry.
 *
 * <p>On N servers a majority is not enough: permit holders on different majorities could
 * exceed the permits (with 3 servers and 2 permits, holders on {1,2}, {2,3} and {1,3} fit
 * every server's count). A permit therefore needs {@code floor(N * P / (P + 1)) + 1} servers,
 * which makes P + 1 holders impossible; for one permit that is a majority.
 */
final class RedisSemaphore extends RedisAcquirer {
    private final int permits;
    private final byte[] permitsBytes;
    private final byte[] set;
    private final byte[] fence;

    RedisSemaphore(RedisLockProvider provider, String name, int permits) {
        super(provider, name, ":sem");
        this.permits = permits;
        this.permitsBytes = Integer.toString(permits).getBytes(StandardCharsets.US_ASCII);
        this.set = keys.key("");
        this.fence = keys.key(":fence");
    }

    @Override
    int quorum() {
        int n = provider.quorum().size();
        return (int) ((long) n * permits / (permits + 1L)) + 1;
    }

    @Override
    boolean oneAtATime() {
        return true; // a release message is one permit given back
    }

    @Override
    RedisScripts acquireScript() {
        return RedisScripts.ACQUIRE_PERMIT;
    }

    @Override
    List<byte[]> acquireKeys() {
        return List.of(set, fence);
    }

    @Override
    List<byte[]> acquireArgs(byte[] token, byte[] waiter, boolean willWait) {
        return List.of(token, provider.leaseMsBytes(), permitsBytes);
    }

    @Override
    byte[] holdKey() {
        return set;
    }

    @Override
    boolean heldAsMember() {
        return true;
    }

    @Override
    byte[] fenceKey() {
        return fence;
    }
}
