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

    /**
     * The lock's name, as given to the provider.
     *
     * @return the name of the lock this handle holds
     */
    String name();

    /**
     * A number that is strictly greater than the token of every earlier holder of this name
     * (in this mode family: mutex, read-write lock or semaphore) on the same backing store.
     * Pass it to the resource you protect and have it reject writes carrying a smaller
     * token: that keeps the resource safe even when a lease lapses while its holder is
     * paused.
     *
     * @return this hold's fencing token; the same on every call
     */
    long fencingToken();

    /**
     * Completes (normally) when the lock is known to be lost while still held: lease expiry,
     * a dead connection, the lock file being deleted, a server restart, or the provider
     * being closed while the handle was still held. It never completes if the handle is
     * released through {@link #release()} first. The returned stage cannot be completed by callers,
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
     *
     * @return a read-only stage that completes when the lock is lost
     */
    CompletionStage<Void> lost();

    /**
     * Whether {@link #lost()} has completed. More exactly: true from the moment the loss is
     * detected, which may be a little before {@link #lost()} completes.
     *
     * @return {@code true} once the lock is known to be lost
     */
    boolean isLost();

    /**
     * Whether {@link #release()} has been called (or the handle was cleaned up).
     *
     * @return {@code true} once a release began, even one that failed or was done by closing
     *     the provider
     */
    boolean isReleased();

    /**
     * Extends the lease so that it lasts at least {@code duration} from now. Only for
     * backends with leases; automatic renewal usually makes this unnecessary.
     *
     * @param duration the least lease left after the call
     * @throws UnsupportedOperationException if the backend has no leases (the file backend
     *     holds locks until release or process exit)
     * @throws LockLostException if the lock was already lost
     * @throws IllegalArgumentException if {@code duration} is not positive, or outside the
     *     range the backend accepts (Redis: under 1 ms, or longer than its longest lease)
     * @throws NullPointerException if {@code duration} is null
     * @throws IllegalStateException if the handle was already released, or is released while
     *     the lease is being extended
     * @throws LockBackendException if the backing store fails
     */
    void extend(Duration duration);

    /**
     * The time left on the lease as the backing store sees it now (one round trip), before
     * automatic renewal extends it again; empty for backends without leases, and
     * {@link Duration#ZERO} once the lease is gone.
     *
     * @return the lease left; {@link Duration#ZERO} without asking the store once the handle
     *     is released or lost; empty if the backend has no leases
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

    /**
     * Same as {@link #release()}.
     *
     * @throws LockBackendException as {@link #release()}
     * @throws IllegalStateException as {@link #release()}
     */
    @Override
    void close();
}
