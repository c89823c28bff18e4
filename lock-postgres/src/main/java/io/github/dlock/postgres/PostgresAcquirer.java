package io.github.dlock.postgres;

import io.github.dlock.RetryStrategy;
import io.github.dlock.internal.AcquireLoop;
import io.github.dlock.spi.Acquirer;
import io.github.dlock.spi.Deadline;
import io.github.dlock.spi.HeldLock;
import io.github.dlock.spi.Ticker;
import io.github.dlock.internal.WakeSignal;
import java.time.Duration;
import java.util.List;

/**
 * The acquisition steps of every PostgreSQL lock kind: first a try-lock (see
 * {@link AdvisoryLocking} for where it is held); if that fails and the caller will wait, either
 * a wait inside the server (mutex and read-write lock: PostgreSQL queues it and grants it the
 * moment the lock is free) on one of a bounded number of waiting sessions
 * ({@link WaitingSessions}: further waiters queue in this process, in order, and retry when the
 * lock changes hands here), or, for semaphores, which take any free permit, try-locks woken by
 * NOTIFY from releases (and by releases in this process).
 *
 * <p>A retry strategy with an attempt limit bounds server-side waits too: they last at most as
 * long as that many polling attempts would (the sum of the strategy's pauses), and then end as
 * "attempt limit reached".
 */
abstract class PostgresAcquirer implements Acquirer {
    /** Waiting sessions one acquire may lose to connection failures before it fails. */
    static final int MAX_SESSIONS_GONE = 3;

    final PostgresLockProvider provider;
    final String name;

    PostgresAcquirer(PostgresLockProvider provider, String name) {
        this.provider = provider;
        this.name = name;
    }

    /** How long a waiter waits for the listener connection to LISTEN to its channel before it goes on without. */
    private static final long LISTEN_WAIT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);

    /** The advisory locks any one of which grants this lock (one, or a semaphore's permits). */
    abstract List<Advisory> candidates();

    /**
     * The channel releases NOTIFY and waiters LISTEN on, or null when waits happen in the
     * server. Each NOTIFY stands for one released permit and wakes one waiter
     * ({@link PostgresNotifications#join}).
     */
    String notifyChannel() {
        return null;
    }

    @Override
    public final HeldLock tryAcquire(Deadline deadline) throws InterruptedException {
        if (Thread.interrupted()) throw new InterruptedException();
        AdvisoryLocking locking = provider.locking();
        if (deadline.isImmediate()) return tryOnce(locking, deadline);
        String channel = notifyChannel();
        if (channel != null) {
            HeldLock held = locking.tryOnce(this, deadline);
            if (held != null) return held;
            WakeSignal wake;
            try {
                wake = provider.notifications().join(channel, Math.min(deadline.remainingNanos(), LISTEN_WAIT_NANOS));
            } catch (InterruptedException | RuntimeException e) {
                provider.notifications().leave(channel);
                throw e;
            }
            try {
                return AcquireLoop.run(deadline, provider.retryStrategy(), wake, () -> locking.tryOnce(this, deadline), 1);
            } finally {
                provider.notifications().leave(channel);
            }
        }
        return waitInServer(locking, candidates().get(0), attemptBudget(deadline, provider.retryStrategy()));
    }

    /** One try; a reader yields to a writer of this process queued for a waiting session. */
    private HeldLock tryOnce(AdvisoryLocking locking, Deadline deadline) throws InterruptedException {
        List<Advisory> candidates = candidates();
        if (candidates.size() == 1 && candidates.get(0).shared() && provider.waitingSessions().exclusiveQueued(candidates.get(0).id())) {
            return null;
        }
        return locking.tryOnce(this, deadline);
    }

    /**
     * Try (before queueing only while no waiter of this process is in line for the lock, which
     * keeps the order of those that are), then queue for a waiting session, retrying when the lock changes hands here and after
     * each pause of the retry strategy (a release by another process sends no signal), then wait
     * in the server. A waiting session whose connection fails (terminated by an administrator,
     * an idle-session clean-up, a failover) is discarded and the wait goes on on a fresh one,
     * within the same deadline; after {@value #MAX_SESSIONS_GONE} such failures in one acquire
     * it fails with the server's reason.
     */
    private HeldLock waitInServer(AdvisoryLocking locking, Advisory lock, Deadline deadline) throws InterruptedException {
        WaitingSessions waits = provider.waitingSessions();
        if (!waits.hasWaiters(lock.id())) { // nobody of this process is in line for it: one try needs no ticket
            HeldLock held = tryOnce(locking, deadline);
            if (held != null) return held;
        }
        RetryStrategy retry = provider.retryStrategy();
        WaitingSessions.Ticket ticket = waits.join(lock.id(), !lock.shared());
        try {
            int sessionsGone = 0;
            HeldLock held = tryOnce(locking, deadline);
            for (int failed = 1; held == null; failed++) {
                switch (waits.await(ticket, deadline, retry.delayNanos(failed))) {
                    case SLOT:
                        try {
                            return locking.waitInServer(this, lock, deadline);
                        } catch (SessionGone gone) { // wait again on a fresh session, a bounded number of times
                            if (++sessionsGone >= MAX_SESSIONS_GONE) {
                                throw PostgresConnections.failure("wait for an advisory lock failed (" + sessionsGone + " waiting sessions ended)", gone.getCause());
                            }
                            held = tryOnce(locking, deadline);
                        }
                        break;
                    case RETRY:
                        held = tryOnce(locking, deadline);
                        break;
                    default:
                        return null;
                }
            }
            return held;
        } finally {
            waits.done(ticket);
        }
    }

    /**
     * {@code deadline}, shortened to the time {@code retry}'s attempt limit allows a poller (the
     * sum of its pauses between attempts), so that {@code maxAttempts} bounds waits the server
     * performs as it bounds polling ones.
     */
    static Deadline attemptBudget(Deadline deadline, RetryStrategy retry) {
        if (retry.allowsAnotherAttempt(Integer.MAX_VALUE - 1)) return deadline; // no attempt limit
        long total = 0;
        for (int failed = 1; retry.allowsAnotherAttempt(failed); failed++) {
            total += retry.delayNanos(failed);
            if (total < 0) return deadline;
        }
        if (total >= deadline.remainingNanos()) return deadline;
        return Deadline.after(Duration.ofNanos(total), Ticker.system());
    }
}
