package io.github.dlock;

/**
 * Receives what happens to the locks of one {@link LockProvider}: acquisitions (granted or
 * not), releases, losses and lease renewal rounds. Install it with
 * {@link LockProvider#listen(LockListener)}; every method has a default that does nothing, so
 * a listener overrides only what it needs. {@code lock-micrometer}'s {@code DlockMetrics} is
 * one, turning the events into Micrometer meters.
 *
 * <p><b>Threads.</b> Each method runs on the thread where the event happens, synchronously:
 * {@link #acquireFinished} on the thread that called the acquire (for
 * {@code acquireAsync}, the executor's thread that ran it), {@link #released} on the thread
 * that released the handle (a {@link java.lang.ref.Cleaner} thread for a leaked handle, the
 * closing thread for a lock {@link LockProvider#close()} released), {@link #lost} on the
 * thread that completes the handle's {@link LockHandle#lost()} stage, {@link #renewalRound}
 * on a thread of the provider's own ({@code dlock-listener-events}), never on the renewal
 * thread, so a blocking listener cannot delay renewals (while it blocks, up to 1024 rounds
 * queue; later ones are dropped). Methods may be called concurrently from many threads and
 * must be thread-safe, quick and non-blocking: they delay the lock operation that reported
 * them.
 *
 * <p><b>Failures.</b> A listener cannot break locking: an exception it throws is caught, logged
 * once per installed listener (at WARN, later ones at DEBUG) and otherwise ignored; the lock
 * operation goes on as if the listener had returned. An {@link Error} such as
 * {@link StackOverflowError} propagates to the caller of the operation, after a lock the
 * operation had acquired was given back.
 *
 * <p><b>Which events.</b> Every acquire attempt that reaches the backend while a listener is
 * installed ends in exactly one {@link #acquireFinished} (arguments are checked and a closed
 * provider is refused before that, without an event). {@link #released} and {@link #lost} are
 * reported for locks whose acquisition was reported as {@link Outcome#ACQUIRED} (so a
 * listener installed later hears nothing about locks held already; their hold time is not
 * known). Backends without leases (file, PostgreSQL) have no renewal rounds.
 */
public interface LockListener {

    /** How an acquire attempt ended. */
    enum Outcome {
        /** The lock (or permit) was granted. */
        ACQUIRED,
        /**
         * A wait ended without the lock: its timeout passed or the retry strategy's attempt
         * limit was reached ({@link DistributedLock#acquire} threw {@link LockTimeoutException},
         * or {@code tryAcquire(timeout)} with a positive timeout returned empty).
         */
        TIMEOUT,
        /** A single attempt ({@code tryAcquire()} or a zero timeout) found the lock taken. */
        EMPTY,
        /** The waiting thread was interrupted. */
        INTERRUPTED,
        /** The attempt failed: the backend threw, or the provider was closed while it waited. */
        ERROR
    }

    /**
     * An acquire attempt ended.
     *
     * @param name the lock's name
     * @param mode the lock's mode: {@link LockMode#EXCLUSIVE} for a mutex, {@link LockMode#READ}
     *     or {@link LockMode#WRITE} for the sides of a read-write lock, {@link LockMode#PERMIT}
     *     for a semaphore
     * @param backend the provider's backend: {@code file}, {@code redis} or {@code postgresql}
     * @param outcome how it ended
     * @param waitNanos how long the attempt took, from entering the backend to its end, in
     *     nanoseconds by the provider's clock
     */
    default void acquireFinished(String name, LockMode mode, String backend, Outcome outcome, long waitNanos) {}

    /**
     * A lock whose acquisition was reported was released (by its handle, by the
     * {@link java.lang.ref.Cleaner} of a leaked handle, or by closing the provider). A lost lock
     * is reported released too, when its handle is released.
     *
     * @param name the lock's name
     * @param mode the lock's mode, as in {@link #acquireFinished}
     * @param backend the provider's backend
     * @param holdNanos how long it was held: from the end of its acquisition to the end of its
     *     release, in nanoseconds by the provider's clock
     */
    default void released(String name, LockMode mode, String backend, long holdNanos) {}

    /**
     * A lock whose acquisition was reported was found lost while held (its lease expired or
     * was taken over, its session or file went away); its handle's {@code lost()} stage
     * completes at the same time. Reported at most once per lock.
     *
     * @param name the lock's name
     * @param mode the lock's mode, as in {@link #acquireFinished}
     * @param backend the provider's backend
     * @param reason why, in words, for logs
     */
    default void lost(String name, LockMode mode, String backend, String reason) {}

    /**
     * The backend renewed the leases of its held locks, all at once (Redis: one pipelined round
     * trip per server, every lease/3). Rounds that find no lock held are not reported.
     *
     * @param backend the provider's backend
     * @param locks how many leases the round tried to renew
     * @param roundTrips how many round trips to the store the round made (one per server)
     * @param failures how many of the leases could not be renewed because the store did not
     *     answer well enough (the next round tries again); leases found gone are reported
     *     through {@link #lost} instead
     */
    default void renewalRound(String backend, int locks, int roundTrips, int failures) {}

    /**
     * An installed listener; {@link #close()} removes it.
     */
    interface Registration extends AutoCloseable {
        /**
         * Removes the listener: events that begin after this returns are not reported to it
         * (one already being reported on another thread may still finish). Idempotent.
         */
        @Override
        void close();
    }
}
