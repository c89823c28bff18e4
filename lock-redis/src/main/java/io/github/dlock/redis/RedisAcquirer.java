package io.github.dlock.redis;

import io.github.dlock.LockBackendException;
import io.github.dlock.spi.AcquireLoop;
import io.github.dlock.spi.Acquirer;
import io.github.dlock.spi.Deadline;
import io.github.dlock.spi.HeldLock;
import io.github.dlock.spi.WakeSignal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The acquisition steps all Redis lock kinds share. One attempt runs the kind's acquire
 * script on every server at once; it succeeds when a quorum granted it with lease time left
 * (lease minus elapsed minus clock drift of 1% + 2 ms). The fencing token is the largest the
 * quorum returned, written back to a majority before the lock is handed out so tokens keep
 * rising even if a server restarts empty. A failed attempt gives back what it got. Between
 * attempts the waiter sleeps until a release message or its retry delay.
 */
abstract class RedisAcquirer implements Acquirer {
    final RedisLockProvider provider;
    final String name;
    final RedisKeys keys;

    RedisAcquirer(RedisLockProvider provider, String name, String kind) {
        this.provider = provider;
        this.name = name;
        this.keys = new RedisKeys(provider.prefix(), name, kind);
    }

    abstract RedisScripts acquireScript();

    abstract List<byte[]> acquireKeys();

    abstract List<byte[]> acquireArgs(byte[] token, boolean willWait);

    /** Where the hold lives once acquired. */
    abstract byte[] holdKey();

    abstract boolean heldAsMember();

    abstract byte[] fenceKey();

    /** How many servers must grant the lock. */
    int quorum() {
        return provider.quorum().majority();
    }

    /** Called when a waiting acquisition gives up (timeout, interrupt, failure). */
    void gaveUp(byte[] token) {}

    @Override
    public final HeldLock tryAcquire(Deadline deadline) throws InterruptedException {
        String token = provider.newToken();
        byte[] tokenBytes = token.getBytes(StandardCharsets.UTF_8);
        boolean willWait = !deadline.isImmediate();
        if (!willWait) return AcquireLoop.run(deadline, provider.retryStrategy(), new WakeSignal(), () -> attempt(token, tokenBytes, false));
        // One attempt before subscribing: an uncontended acquire then costs no SUBSCRIBE/UNSUBSCRIBE.
        // The loop's first attempt runs after subscribing, so a release in between is not missed.
        boolean acquired = false;
        try {
            if (Thread.interrupted()) throw new InterruptedException();
            HeldLock held = attempt(token, tokenBytes, true);
            if (held != null) {
                acquired = true;
                return held;
            }
            String channel = keys.channel();
            WakeSignal wake = provider.subscriptions().subscribe(channel);
            try {
                held = AcquireLoop.run(deadline, provider.retryStrategy(), wake, () -> attempt(token, tokenBytes, true), 1);
                acquired = held != null;
                return held;
            } finally {
                provider.subscriptions().unsubscribe(channel);
            }
        } finally {
            if (!acquired) gaveUp(tokenBytes);
        }
    }

    private RedisHeldLock attempt(String token, byte[] tokenBytes, boolean willWait) {
        Quorum quorum = provider.quorum();
        int needed = quorum();
        long leaseMs = provider.leaseMs();
        long start = System.nanoTime();
        List<Quorum.Reply<Object[]>> replies = quorum.onAll(node -> provider.acquireOn(node, acquireScript(), acquireKeys(), acquireArgs(tokenBytes, willWait)));
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        List<Quorum.Reply<Object[]>> granted = new ArrayList<>();
        RuntimeException firstError = null;
        int answered = 0;
        for (Quorum.Reply<Object[]> r : replies) {
            if (!r.ok()) {
                if (firstError == null) firstError = r.error();
                continue;
            }
            answered++;
            if (Boolean.TRUE.equals(r.value()[0])) granted.add(r);
        }
        long validityMs = leaseMs - elapsedMs - (leaseMs / 100 + 2);
        if (granted.size() >= needed && validityMs > 0) {
            long fencingToken = granted.stream().mapToLong(r -> (Long) r.value()[1]).max().getAsLong();
            if (quorum.size() == 1 || raiseFence(fencingToken)) {
                RedisHeldLock held = new RedisHeldLock(provider, name, fencingToken, token, holdKey(), heldAsMember(), keys.channel(), needed, leaseMs);
                provider.renewer().register(held);
                return held;
            }
        }
        if (!granted.isEmpty() || firstError != null) giveBack(tokenBytes); // an erring server may have granted it
        if (answered < needed) {
            throw new LockBackendException("only " + answered + " of " + quorum.size() + " Redis servers answered; " + needed
                    + " are needed to lock " + io.github.dlock.internal.Arguments.describe(name) + ": " + firstError.getMessage(), firstError);
        }
        return null;
    }

    private boolean raiseFence(long fencingToken) {
        byte[] value = Long.toString(fencingToken).getBytes(StandardCharsets.US_ASCII);
        long ok = provider.quorum().onAll(n -> n.eval(RedisScripts.RAISE_FENCE, List.of(fenceKey()), List.of(value)))
                .stream().filter(Quorum.Reply::ok).count();
        return ok >= provider.quorum().majority();
    }

    private void giveBack(byte[] token) {
        RedisScripts release = heldAsMember() ? RedisScripts.RELEASE_MEMBER : RedisScripts.RELEASE_KEY;
        byte[] channel = keys.channel().getBytes(StandardCharsets.UTF_8);
        provider.quorum().onAll(n -> n.eval(release, List.of(holdKey()), List.of(token, channel)));
    }
}
