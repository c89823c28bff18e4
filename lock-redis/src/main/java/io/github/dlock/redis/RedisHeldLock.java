package io.github.dlock.redis;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockLostException;
import io.github.dlock.spi.HeldLock;
import io.github.dlock.spi.LeaseRenewer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * One acquisition on Redis: the holder's unique token, the key (or sorted set) holding it,
 * its lease length and the quorum it needs. Renewed by the provider's {@link LeaseRenewer}.
 */
final class RedisHeldLock extends HeldLock {
    final RedisLockProvider provider;
    final byte[] token;
    final byte[] holdKey;
    final boolean member;
    final byte[] channel;
    final int quorum;
    private volatile long leaseMs;

    RedisHeldLock(RedisLockProvider provider, String name, long fencingToken, String token, byte[] holdKey, boolean member,
            String channel, int quorum, long leaseMs) {
        super(name, fencingToken);
        this.provider = provider;
        this.token = token.getBytes(StandardCharsets.UTF_8);
        this.holdKey = holdKey;
        this.member = member;
        this.channel = channel.getBytes(StandardCharsets.UTF_8);
        this.quorum = quorum;
        this.leaseMs = leaseMs;
    }

    long leaseMs() {
        return leaseMs;
    }

    RedisScripts renewScript() {
        return member ? RedisScripts.RENEW_MEMBER : RedisScripts.RENEW_KEY;
    }

    @Override
    protected void releaseInBackend() {
        provider.renewer().unregister(this);
        RedisScripts script = member ? RedisScripts.RELEASE_MEMBER : RedisScripts.RELEASE_KEY;
        List<Quorum.Reply<Object>> replies = provider.quorum().onAll(n -> n.eval(script, List.of(holdKey), List.of(token, channel)));
        if (replies.stream().noneMatch(Quorum.Reply::ok)) {
            throw new LockBackendException("could not release lock on any Redis server; it expires after its lease", replies.get(0).error());
        }
    }

    @Override
    protected boolean hasLease() {
        return true;
    }

    /** The lease that at least a quorum of servers still grant (the quorum-th longest). */
    @Override
    protected Duration leaseLeftInBackend() {
        byte[] flag = {(byte) (member ? '1' : '0')};
        List<Long> left = new java.util.ArrayList<>();
        for (Quorum.Reply<Object> r : provider.quorum().onAll(n -> n.eval(RedisScripts.LEASE_LEFT, List.of(holdKey), List.of(token, flag)))) {
            if (r.ok()) left.add((Long) r.value());
        }
        if (left.size() < quorum) throw new LockBackendException("only " + left.size() + " Redis servers answered; " + quorum + " are needed");
        left.sort(java.util.Comparator.reverseOrder());
        return Duration.ofMillis(left.get(quorum - 1));
    }

    @Override
    protected void extendInBackend(Duration duration) {
        leaseMs = Math.max(leaseMs, duration.toMillis());
        LeaseRenewer.Outcome outcome = provider.renewNow(this);
        if (outcome == LeaseRenewer.Outcome.GONE) {
            markLost("its lease was gone when extending");
            throw new LockLostException("lock " + io.github.dlock.internal.Arguments.describe(name()) + " was lost");
        }
        if (outcome == LeaseRenewer.Outcome.FAILED) throw new LockBackendException("could not extend the lease on a quorum of Redis servers");
    }
}
