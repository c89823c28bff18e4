package io.github.dlock.redis;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockLostException;
import io.github.dlock.spi.HeldLock;
import io.github.dlock.internal.LeaseRenewer;
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
    /** Per server of the quorum: true if it certainly does not hold this (it refused the grant, or was not asked). */
    private final boolean[] without;

    /**
     * @param without per server of the provider's quorum, true if it certainly does not hold
     *     this: the release skips it (and counts it as released)
     */
    RedisHeldLock(RedisLockProvider provider, String name, long fencingToken, String token, byte[] holdKey, boolean member,
            String channel, int quorum, boolean[] without) {
        super(name, fencingToken);
        this.provider = provider;
        this.token = token.getBytes(StandardCharsets.UTF_8);
        this.holdKey = holdKey;
        this.member = member;
        this.channel = channel.getBytes(StandardCharsets.UTF_8);
        this.quorum = quorum;
        this.without = without.clone();
    }

    RedisScripts renewScript() {
        return member ? RedisScripts.RENEW_MEMBER : RedisScripts.RENEW_KEY;
    }

    /**
     * Releases on every server, returning once enough servers confirmed that no quorum can
     * hold it any more ({@code N - quorum + 1}; one with a single server); the rest finish in
     * the background.
     *
     * @throws LockBackendException if too few servers confirmed (the hold then expires after its lease)
     */
    @Override
    protected void releaseInBackend() {
        provider.renewer().unregister(this);
        RedisScripts script = member ? RedisScripts.RELEASE_MEMBER : RedisScripts.RELEASE_KEY;
        Quorum servers = provider.quorum();
        int needed = servers.size() - quorum + 1;
        List<RedisNode> holding = servers.nodes();
        int skipped = 0;
        for (boolean w : without) {
            if (w) skipped++;
        }
        if (skipped > 0) {
            holding = new java.util.ArrayList<>(servers.size() - skipped);
            for (int i = 0; i < without.length; i++) {
                if (!without[i]) holding.add(servers.nodes().get(i));
            }
        }
        int confirmations = Math.max(1, needed - skipped); // those without it count as released
        List<Quorum.Reply<Object>> replies = servers.onSome(holding, Math.min(confirmations, holding.size()),
                n -> n.eval(script, List.of(holdKey), List.of(token, channel)));
        int ok = 0;
        RuntimeException cause = null;
        for (Quorum.Reply<Object> r : replies) { // a loop, not a stream: this runs on every release
            if (r.ok()) {
                ok++;
            } else if (cause == null) {
                cause = r.error();
            }
        }
        if (ok + skipped < needed) {
            String what = servers.size() == 1 ? "could not release lock " + io.github.dlock.internal.Arguments.describe(name())
                    : "released lock " + io.github.dlock.internal.Arguments.describe(name()) + " on only " + ok + " of " + servers.size()
                            + " Redis servers (" + needed + " needed)";
            throw new LockBackendException(what + "; it expires after its lease" + (cause == null ? "" : ": " + cause.getMessage()), cause);
        }
    }

    /** This provider's waiters for the lock retry at once, as on a release message (a lost lock announces nothing). */
    @Override
    protected void wakeLocalWaiters() {
        provider.subscriptions().wakeLocally(new String(channel, StandardCharsets.UTF_8));
    }

    @Override
    protected boolean hasLease() {
        return true;
    }

    /**
     * The lease that a quorum of servers still grant (the quorum-th longest of the leases all
     * servers report; a server that fails or times out counts for nothing), but no more than the
     * local validity deadline leaves;
     * {@link Duration#ZERO} once so many servers report it gone that no quorum holds it. If
     * too few servers answer to tell, the local validity deadline's remaining time, which the
     * store cannot undercut.
     */
    @Override
    protected Duration leaseLeftInBackend() {
        byte[] flag = {(byte) (member ? '1' : '0')};
        Quorum servers = provider.quorum();
        int n = servers.size();
        // every server's answer (or failure), not the first quorum's: an extend returns once a quorum
        // confirmed it while the rest finish in the background, and the quorum-th longest lease of all
        // servers is the extended one, while that of the first few to answer may not be (CI: Redlock)
        java.util.function.Predicate<List<Quorum.Reply<Object>>> enough = replies -> {
            long gone = replies.stream().filter(r -> r.ok() && (Long) r.value() <= 0).count();
            return replies.size() == n || gone > n - quorum;
        };
        List<Long> left = new java.util.ArrayList<>();
        int gone = 0;
        for (Quorum.Reply<Object> r : servers.until(servers.nodes(), node -> node.eval(RedisScripts.LEASE_LEFT, List.of(holdKey), List.of(token, flag)), enough)
                .settle(late -> {})) {
            if (!r.ok()) continue;
            long ms = (Long) r.value();
            if (ms > 0) left.add(ms);
            else gone++;
        }
        long localMs = provider.renewer().remainingNanos(this) / 1_000_000;
        if (gone > n - quorum) return Duration.ZERO;
        if (left.size() < quorum) return Duration.ofMillis(localMs);
        left.sort(java.util.Comparator.reverseOrder());
        return Duration.ofMillis(Math.min(left.get(quorum - 1), localMs));
    }

    /**
     * Makes the lease last at least {@code duration} from now, once: later automatic renewals
     * renew to the configured lease again, which never shortens a longer lease, so they take
     * over when the extended lease has run down to the configured length.
     *
     * @throws IllegalArgumentException if {@code duration} is under 1 ms or over {@link RedisLockProvider#MAX_LEASE}
     *     (the lock is untouched)
     * @throws LockLostException if the lease was gone
     * @throws LockBackendException if a quorum of servers could not be asked (the lease is unchanged)
     */
    @Override
    protected void extendInBackend(Duration duration) {
        RedisLockProvider.requireLease(duration, "duration");
        LeaseRenewer.Outcome outcome = provider.renewer().extend(this, duration);
        if (outcome == LeaseRenewer.Outcome.GONE) {
            markLost("its lease was gone when extending");
            throw new LockLostException("lock " + io.github.dlock.internal.Arguments.describe(name()) + " was lost");
        }
        if (outcome == LeaseRenewer.Outcome.FAILED) throw new LockBackendException("could not extend the lease on a quorum of Redis servers");
    }
}
