package io.github.dlock;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * Proof that a lock (or one permit) is held. Obtained from {@link DistributedLock}; use it
 * with try-with-resources:
 *
 * <pre>{@code
 * try (LockHandle handle = lock.acquire(Duration.ofSeconds(5))) {
 *     storage.write(data, handle.fencingToken());
 * }
 * }</pre>
 *
 * <p><b>Ownership belongs to the handle, not to a thread.</b> Any thread may release it,
 * which makes handles safe to pass to executors and asynchronous continuations. Locks are
 * <b>not re-entrant</b>: acquiring the same exclusive lock again, from any thread, waits for
 * this handle to be released.
 *
 * <p><b>Keep the handle reachable</b> while you rely on the lock. A handle that becomes
 * garbage without being released is released by a {@link java.lang.ref.Cleaner} (and a
 * warning is logged), so a leaked handle can never keep a lock forever.
 */
public interface LockHandle extends AutoCloseable {

    /** The lock's name, as given to the provider. */
    String name();

    /**
     * A number that is strictly greater than the token of every earlier holder of this name
     * (in this mode family: mutex, read-write lock or semaphore) on the same backing store.
     * Pass it to the resource you protect and have it reject writes carrying a smaller
     * token: that keeps the resource safe even when a lease lapses while its holder is
     * paused.
     */
    long fencingToken();

    /**
     * Completes (normally) when the lock is known to be lost while still held: lease expiry,
     * a dead connection, the lock file being deleted, a server restart. It never completes
     * if the handle is released normally. The returned stage cannot be completed by callers,
     * and it is the same object on every call.
     *
     * <p><b>Where callbacks run.</b> {@link #isLost()} turns true the moment the loss is
     * detected; the stage is then completed on a thread of dlock's own, one per loss (a new
     * virtual thread on JDK 21+, else a daemon thread named {@code dlock-lost-N}), never on
     * the thread that detected the loss (a lease renewer, keep-alive or file watchdog). So
     * callbacks registered before the loss run there and <b>may block</b> without delaying
     * renewals or the detection of other losses. A callback registered after the loss runs on
     * the registering thread, as usual for {@link CompletionStage}; use the {@code ...Async}
     * variants to pick an executor of your own.
     */
    CompletionStage<Void> lost();

    /** Whether {@link #lost()} has completed. */
    boolean isLost();

    /** Whether {@link #release()} has been called (or the handle was cleaned up). */
    boolean isReleased();

    /**
     * Extends the lease so that it lasts at least {@code duration} from now. Only for
     * backends with leases; automatic renewal usually makes this unnecessary.
     *
     * @throws UnsupportedOperationException if the backend has no leases (the file backend
     *     holds locks until release or process exit)
     * @throws LockLostException if the lock was already lost
     * @throws IllegalArgumentException if {@code duration} is not positive
     */
    void extend(Duration duration);

    /**
     * The time left on the lease as the backing store sees it now (one round trip), before
     * automatic renewal extends it again; empty for backends without leases, and
     * {@link Duration#ZERO} once the lease is gone.
     *
     * @throws LockBackendException if the store cannot be asked
     */
    java.util.Optional<Duration> remainingLease();

    /**
     * Releases the lock. Idempotent: later calls do nothing. Releasing a lost handle does not
     * throw.
     *
     * @throws LockBackendException if the backing store failed while releasing a lock that
     *     was not lost; the handle counts as released all the same
     * @throws IllegalStateException if the provider was closed while this release was under
     *     way (its connections shut under it); the store ends the hold with the connection or
     *     its lease, and the handle counts as released
     */
    void release();

    /** Same as {@link #release()}. */
    @Override
    void close();
}
