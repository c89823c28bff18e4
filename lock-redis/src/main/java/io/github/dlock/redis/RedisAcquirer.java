package io.github.dlock.redis;

import io.github.dlock.LockBackendException;
import io.github.dlock.internal.AcquireLoop;
import io.github.dlock.spi.Acquirer;
import io.github.dlock.spi.Deadline;
import io.github.dlock.spi.HeldLock;
import io.github.dlock.internal.WakeSignal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The acquisition steps all Redis lock kinds share. One attempt runs the kind's acquire
 * script on every server at once and is decided as soon as the answers allow; it succeeds
 * when a quorum granted it with lease time left (lease minus elapsed since sending minus
 * clock drift of 1% + 2 ms, checked last). The fencing token is the largest the quorum
 * returned, written back to a majority before the lock is handed out so tokens keep rising
 * even if a server restarts empty. A failed attempt gives back what it got, also grants that
 * arrive late. Between attempts the waiter sleeps until a release message, the holder's
 * lease running out, or its retry delay; the waiters of one lock in one provider then try
 * in turns, one at a time, and a release message wakes the one that arrived first. A new
 * acquisition of a mutex or permit tries at once, before the waiters, unless the earliest of
 * them here waited over {@link #BARGE_LIMIT_NANOS}: then it waits behind them.
 */
abstract class RedisAcquirer implements Acquirer {
    private static final byte[] NO_CHANNEL = {};
    private static final byte[] NO_LEAST_TOKEN = {'0'};
    /**
     * How long a waiter of a mutex or permit here may wait before newcomers here stop trying
     * first and queue behind it. Barging (a releasing thread taking the lock straight back) keeps
     * handoffs cheap, but a waiter woken by a release message always arrives after the releaser's
     * own next attempt: with 6 threads on one lock held 2 ms at a time, one waited 5-8 s.
     */
    static final long BARGE_LIMIT_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** How far ahead of this process's clock a Redlock attempt's least token is. */
    static final long TOKEN_LEAD_MICROS = 1_000_000;
    final RedisLockProvider provider;
    final String name;
    final RedisKeys keys;

    RedisAcquirer(RedisLockProvider provider, String name, String kind) {
        this.provider = provider;
        this.name = name;
        this.keys = provider.keys(name, kind);
    }

    abstract RedisScripts acquireScript();

    /**
     * True if a release message on this lock's channel lets in at most one waiter of this
     * kind (a mutex, a semaphore permit), so it wakes one waiter here, not all of them; false
     * for the sides of a reader-writer lock (a writer's release lets every reader in).
     */
    abstract boolean oneAtATime();

    abstract List<byte[]> acquireKeys();

    /** The acquire script's arguments; {@code waiter} is the same for every attempt of one acquisition. */
    abstract List<byte[]> acquireArgs(byte[] token, byte[] waiter, boolean willWait);

    /** Where the hold lives once acquired. */
    abstract byte[] holdKey();

    abstract boolean heldAsMember();

    abstract byte[] fenceKey();

    /** How many servers must grant the lock. */
    int quorum() {
        return provider.quorum().majority();
    }

    /** Called when a waiting acquisition gives up (timeout, interrupt, failure). */
    void gaveUp(byte[] waiter) {}

    /**
     * Every attempt uses a token of its own ({@code waiter id + "." + attempt number}): a give
     * back of a failed attempt that reaches a server late can then never delete a later
     * attempt's grant. The waiter id marks a waiting writer across its attempts. A waiter
     * sleeps until a release message, its retry delay, or the moment the holder's lease runs
     * out (which the refusal reports), whichever comes first. Once waiting, an attempt that
     * fails {@link RedisNode#transientFailure transiently} (failover, restart, moving slot)
     * counts as refused: the waiter keeps waiting, and throws that failure only if the store
     * is still failing when its deadline passes. A first attempt that fails throws at once.
     */
    @Override
    public final HeldLock tryAcquire(Deadline deadline) throws InterruptedException {
        String waiter = provider.newToken();
        byte[] waiterBytes = waiter.getBytes(StandardCharsets.UTF_8);
        int[] attempts = {0};
        long[] expiresInMs = {0};
        boolean[] busy = {false}; // the last attempt was refused only because servers were too busy to be asked
        boolean willWait = !deadline.isImmediate();
        AcquireLoop.Attempt<HeldLock> attempt = () -> {
            try {
                return admitted(waiter + "." + attempts[0]++, waiterBytes, deadline, expiresInMs, busy);
            } catch (LockBackendException e) {
                InterruptedException interrupted = RedisNode.interruption(e); // a pool wait or a retry ended by an interrupt
                if (interrupted != null) throw interrupted;
                throw e;
            }
        };
        if (!willWait) return AcquireLoop.run(deadline, provider.retryStrategy(), new WakeSignal(), attempt);
        String channel = keys.channel();
        // behind a waiter here that waited too long (see BARGE_LIMIT_NANOS): wait for a release like it, in turn
        // (not for a wait too short to be woken in: it would give up without a real attempt)
        WakeSignal ahead = oneAtATime() && provider.retryStrategy().allowsAnotherAttempt(1)
                && deadline.remainingNanos() > 2 * BARGE_LIMIT_NANOS ? waitedTooLong(channel) : null;
        boolean behind = ahead != null;
        // Otherwise one attempt before subscribing: an uncontended acquire then costs no SUBSCRIBE/UNSUBSCRIBE.
        // The loop's first attempt runs after the subscription is confirmed, so a release in between is not missed.
        boolean acquired = false;
        try {
            if (Thread.interrupted()) throw new InterruptedException();
            HeldLock held = behind ? null : attempt.tryOnce();
            if (held != null) {
                acquired = true;
                return held;
            }
            ScheduledFuture<?>[] expiryWake = {null};
            try {
                WakeSignal wake = provider.subscriptions().subscribe(channel, oneAtATime(), Math.min(deadline.remainingNanos(), provider.timeoutNanos()));
                // the waiters it queued behind left meanwhile and this is a new subscription: a release before it was
                // confirmed reached nobody, so attempt at once after all (review of b7964d4)
                if (wake != ahead) behind = false;
                Semaphore turn = provider.waitingTurn(channel);
                RuntimeException[] failing = {null};
                boolean[] waitFirst = {behind};
                AcquireLoop.Attempt<HeldLock> waiting = () -> {
                    if (waitFirst[0]) { // counts as the attempt made before subscribing
                        waitFirst[0] = false;
                        return null;
                    }
                    expiresInMs[0] = 0;
                    HeldLock h;
                    try {
                        h = inTurn(turn, deadline, attempt);
                        failing[0] = null;
                    } catch (LockBackendException e) {
                        // a failover, restart or moving slot while waiting: keep waiting (the attempt gave back what it may have got)
                        if (!RedisNode.transientFailure(e)) throw e;
                        failing[0] = e;
                        return null;
                    }
                    if (h == null && expiresInMs[0] > 0) {
                        if (expiryWake[0] != null) expiryWake[0].cancel(false);
                        expiryWake[0] = provider.wakeAfter(wake, expiresInMs[0]);
                    }
                    return h;
                };
                // an attempt refused because a server it needs was too busy to be asked polls again shortly, on its
                // own: the lock may be free, and the release that woke it will not come again
                long arrivedAt = wake.arrive();
                try {
                    held = AcquireLoop.run(deadline, provider.retryStrategy(), wake, waiting, behind ? 0 : 1, () -> busy[0], arrivedAt);
                } finally {
                    wake.depart(arrivedAt);
                    // leaving without the lock while its expiry wake was pending: the holder's lease end publishes
                    // nothing, and a waiter queued behind this one may never have asked when it ends (its first
                    // attempt was skipped), so hand the wake-up on now (review of b7964d4: a newcomer slept to its
                    // deadline, 8.1 s, while the crashed holder's lease ended at 1.5 s)
                    if (held == null && expiryWake[0] != null && expiryWake[0].cancel(false)) wake.signalOne();
                }
                acquired = held != null;
                if (held == null && failing[0] != null) throw failing[0]; // still failing at the deadline: say why, not just "timed out"
                return held;
            } finally {
                if (expiryWake[0] != null) expiryWake[0].cancel(false);
                provider.subscriptions().unsubscribe(channel, oneAtATime());
            }
        } finally {
            if (!acquired) gaveUp(waiterBytes);
        }
    }

    /** The signal of this provider's waiters on {@code channel} if the earliest waited longer than {@link #BARGE_LIMIT_NANOS}, else null. */
    private WakeSignal waitedTooLong(String channel) {
        WakeSignal waiting = provider.subscriptions().waiting(channel);
        return waiting != null && waiting.hasWaitedLongerThan(BARGE_LIMIT_NANOS) ? waiting : null;
    }

    /**
     * Runs a waiting acquisition's attempt in its {@link RedisLockProvider#waitingTurn turn},
     * waiting for the turn at most until the deadline or one call timeout, and then without it.
     */
    private HeldLock inTurn(Semaphore turn, Deadline deadline, AcquireLoop.Attempt<HeldLock> attempt) throws InterruptedException {
        boolean taken = turn.tryAcquire(Math.min(deadline.remainingNanos(), provider.timeoutNanos()), TimeUnit.NANOSECONDS);
        try {
            return attempt.tryOnce();
        } finally {
            if (taken) turn.release();
        }
    }

    /**
     * One attempt, once the provider has a slot for it ({@link RedisLockProvider#startAttempt}).
     * A waiting acquisition that got no slot before its deadline has failed this attempt (and
     * times out); an immediate one fails with {@link LockBackendException}.
     */
    private RedisHeldLock admitted(String token, byte[] waiter, Deadline deadline, long[] expiresInMs, boolean[] busy) throws InterruptedException {
        if (!provider.startAttempt(deadline)) {
            if (!deadline.isImmediate()) return null;
            throw new LockBackendException("cannot lock " + io.github.dlock.internal.Arguments.describe(name) + ": every connection stayed busy for "
                    + java.time.Duration.ofNanos(provider.timeoutNanos()));
        }
        try {
            return attempt(token, waiter, !deadline.isImmediate(), expiresInMs, busy);
        } finally {
            provider.endAttempt();
        }
    }

    /**
     * One attempt on every server at once, returning as soon as the answers decide it. On
     * success the fencing token is written back to a majority, the lock registered with the
     * renewer from the attempt's send time, and its validity checked last, right before it
     * is handed out. A failed attempt gives back what it got, also grants that arrive late.
     */
    private RedisHeldLock attempt(String token, byte[] waiter, boolean willWait, long[] expiresInMs, boolean[] busy) {
        busy[0] = false;
        byte[] tokenBytes = token.getBytes(StandardCharsets.UTF_8);
        Quorum quorum = provider.quorum();
        int needed = quorum();
        byte[] leastToken = leastToken(quorum);
        long sent = provider.ticker().read();
        Quorum.Gathered<Object[]> gathered = quorum.until(quorum.nodes(),
                node -> acquireOn(node, tokenBytes, waiter, willWait, leastToken),
                replies -> decided(replies, needed, quorum.size()),
                // enough servers answered to make it a refusal: an immediate attempt returns "not now" too, rather than
                // hold a partial grant for the call timeout (review: a tryAcquire() poller left every waiter idle 2 s)
                replies -> answeredWithoutError(replies) >= needed);
        List<Quorum.Reply<Object[]>> replies = gathered.replies();
        List<Quorum.Reply<Object[]>> granted = new ArrayList<>(replies.size());
        for (Quorum.Reply<Object[]> r : replies) {
            if (r.ok() && Boolean.TRUE.equals(r.value()[0])) granted.add(r);
        }
        if (granted.size() >= needed) {
            long fencingToken = Long.MIN_VALUE;
            for (Quorum.Reply<Object[]> r : granted) fencingToken = Math.max(fencingToken, (Long) r.value()[1]);
            // a majority whose counters already reached the token needs no write-back: the next majority meets one of them
            int atToken = 0;
            for (Quorum.Reply<Object[]> r : granted) {
                if ((Long) r.value()[1] == fencingToken) atToken++;
            }
            if (quorum.size() == 1 || atToken >= quorum.majority() || raiseFence(fencingToken)) {
                if (provider.ticker().read() - sent < provider.renewer().validityNanos()) { // validity, checked last
                    RedisHeldLock held = new RedisHeldLock(provider, name, fencingToken, token, holdKey(), heldAsMember(), keys.channel(), needed,
                            withoutIt(replies, quorum));
                    provider.renewer().register(held, sent); // lost() completes at sent + validity
                    // A late grant is part of this hold (renewed and released with it), unless the hold was
                    // released already: that release may have reached the server before the grant did.
                    gathered.settle(late -> {
                        if ((!late.ok() || Boolean.TRUE.equals(late.value()[0])) && held.isReleased()) giveBack(List.of(late.node()), tokenBytes);
                    });
                    return held;
                }
            }
        }
        gathered.settle(late -> {
            if (!late.ok() || Boolean.TRUE.equals(late.value()[0])) giveBack(List.of(late.node()), tokenBytes);
        });
        for (Quorum.Reply<Object[]> r : replies) { // a refusal reports when the holder's lease runs out
            if (r.ok() && !Boolean.TRUE.equals(r.value()[0]) && r.value()[1] instanceof Long ms && ms > 0) {
                expiresInMs[0] = expiresInMs[0] == 0 ? ms : Math.min(expiresInMs[0], ms);
            }
        }
        List<RedisNode> toGiveBack = new ArrayList<>();
        RuntimeException firstError = null;
        StringBuilder errors = new StringBuilder();
        int answered = 0;
        int notSent = 0;
        for (Quorum.Reply<Object[]> r : gathered.repliesAndSilence()) {
            if (r.ok()) {
                answered++;
            } else {
                if (firstError == null) firstError = r.error();
                errors.append(errors.length() == 0 ? "" : "; ").append(r.error().getMessage());
            }
            // an erring server may have granted it; one the call was never sent to has nothing to give back
            if (Quorum.notSent(r)) notSent++;
            else if (!r.ok() || Boolean.TRUE.equals(r.value()[0])) toGiveBack.add(r.node());
        }
        toGiveBack.removeIf(n -> replies.stream().noneMatch(r -> r.node() == n)); // silent servers: their late answer is handled above
        if (!toGiveBack.isEmpty()) giveBack(toGiveBack, tokenBytes);
        busy[0] = granted.size() + notSent >= needed; // granted but for servers too busy to be asked: retried soon
        if (answered < needed && willWait && answered + notSent >= needed) {
            return null; // the servers are up, some too busy to be asked now: a refusal (not a failure)
        }
        if (answered < needed) {
            String lockName = io.github.dlock.internal.Arguments.describe(name);
            if (quorum.size() == 1) throw new LockBackendException("cannot lock " + lockName + ": " + firstError.getMessage(), firstError);
            throw new LockBackendException("only " + answered + " of " + quorum.size() + " Redis servers answered; " + needed
                    + " needed to lock " + lockName + ": " + errors, firstError);
        }
        return null;
    }

    /**
     * Runs the acquire script on {@code node}. If the connection dropped (e.g. an idle pooled
     * connection to a server that restarted), the script may or may not have run: the token
     * is given back on that server first (repeatable), then the script runs once more on a
     * fresh connection. If the give-back fails too, the first failure stands (and the attempt
     * gives the token back again as for any erring server).
     */
    private Object[] acquireOn(RedisNode node, byte[] token, byte[] waiter, boolean willWait, byte[] leastToken) {
        List<byte[]> args = new ArrayList<>(acquireArgs(token, waiter, willWait));
        Quorum quorum = provider.quorum();
        if (quorum.size() > 1 && heldAsMember()) { // a shared hold: this server's own residue class (see RedisScripts)
            leastToken = ("0/" + quorum.nodes().indexOf(node) + "/" + quorum.size()).getBytes(StandardCharsets.US_ASCII);
        }
        args.add(leastToken);
        try {
            return provider.acquireOn(node, acquireScript(), acquireKeys(), args);
        } catch (LockBackendException e) {
            if (!RedisNode.connectionDropped(e)) throw e;
            try {
                node.eval(releaseScript(), List.of(holdKey()), List.of(token, NO_CHANNEL));
            } catch (RuntimeException again) {
                e.addSuppressed(again);
                throw e;
            }
            return provider.acquireOn(node, acquireScript(), acquireKeys(), args);
        }
    }

    /**
     * The least fencing token an attempt asks every server for (the acquire scripts' last
     * argument): none ({@code 0}) on one server or for a shared hold (a reader, a permit);
     * for an exclusive one on several servers, this process's clock in µs plus
     * {@value #TOKEN_LEAD_MICROS} µs, ahead of the servers' own clocks (which the scripts
     * take as a least token too) unless one runs more than that ahead. Servers whose counters
     * agree then all hand out this value, and the attempt needs no write-back round (see
     * {@link #attempt}); servers that disagree only cost that round, as before.
     */
    private byte[] leastToken(Quorum quorum) {
        // shared holds (readers, permits) may be granted at once: the same proposal would then reach the
        // servers in different orders and hand two holders the same largest token (review: 337 of 2,000);
        // they get a residue class per server instead (acquireOn)
        if (quorum.size() == 1 || heldAsMember()) return NO_LEAST_TOKEN;
        long micros = java.util.concurrent.TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()) + TOKEN_LEAD_MICROS;
        return Long.toString(micros).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The servers that certainly do not hold an attempt's grant, from its answers in time: those
     * that refused it, and those it was never sent to ({@link Quorum.NotKeepingUp}). A release
     * skips them (sending it to a server that was too busy for the acquire kept it busy: a
     * healthy server 80 ms away stayed refused for over 20 s after a load of releases).
     * Servers that erred or had not answered may hold it.
     */
    private static boolean[] withoutIt(List<Quorum.Reply<Object[]>> replies, Quorum quorum) {
        boolean[] without = new boolean[quorum.size()];
        for (Quorum.Reply<Object[]> r : replies) {
            if (Quorum.notSent(r) || (r.ok() && !Boolean.TRUE.equals(r.value()[0]))) without[quorum.nodes().indexOf(r.node())] = true;
        }
        return without;
    }

    private RedisScripts releaseScript() {
        return heldAsMember() ? RedisScripts.RELEASE_MEMBER : RedisScripts.RELEASE_KEY;
    }

    /**
     * Whether the answers so far decide an attempt: enough grants, or too few servers left to
     * grant while enough answered (a refusal: retry). An attempt that will fail because too
     * many servers failed waits for every answer (bounded by the timeout) to report them all.
     */
    private static boolean decided(List<Quorum.Reply<Object[]>> replies, int needed, int servers) {
        int granted = 0;
        int ok = 0;
        for (Quorum.Reply<Object[]> r : replies) {
            if (!r.ok()) continue;
            ok++;
            if (Boolean.TRUE.equals(r.value()[0])) granted++;
        }
        int silent = servers - replies.size();
        return granted >= needed || (granted + silent < needed && ok >= needed);
    }

    private static int answeredWithoutError(List<Quorum.Reply<Object[]>> replies) {
        int ok = 0;
        for (Quorum.Reply<Object[]> r : replies) {
            if (r.ok()) ok++;
        }
        return ok;
    }

    private boolean raiseFence(long fencingToken) {
        byte[] value = Long.toString(fencingToken).getBytes(StandardCharsets.US_ASCII);
        int majority = provider.quorum().majority();
        long ok = provider.quorum().onSome(majority, n -> n.eval(RedisScripts.RAISE_FENCE, List.of(fenceKey()), List.of(value)))
                .stream().filter(Quorum.Reply::ok).count();
        return ok >= majority;
    }

    /**
     * Gives the token back on {@code servers}, waiting only for those in step (a stalled one
     * costs at most {@link Quorum#STALL_MILLIS} ms once): this waiter's next attempt then does
     * not run into its own partial grant. The attempt's token is its own, so a give-back that
     * lands late deletes nothing but what this attempt got. Publishes a release where it
     * deleted a grant: other waiters refused by that partial grant were told it expires with
     * its full lease, and nothing else would tell them it is gone (review: with a one-hour
     * retry, every waiter sat parked for 20 s while the lock was free on every server).
     */
    private void giveBack(List<RedisNode> servers, byte[] token) {
        byte[] channel = keys.channel().getBytes(StandardCharsets.UTF_8);
        provider.quorum().onThoseInStep(servers, n -> n.eval(releaseScript(), List.of(holdKey()), List.of(token, channel)));
    }
}
