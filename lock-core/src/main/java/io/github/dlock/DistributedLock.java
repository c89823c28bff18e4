package io.github.dlock;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A named lock shared by every process that uses the same backing store and name. Objects
 * of this type are cheap, thread-safe descriptions of the lock; each successful acquire
 * returns a new {@link LockHandle} that owns the lock until released.
 *
 * <p>Locks are not re-entrant. Blocking calls honour thread interruption: an interrupted
 * waiter throws {@link InterruptedException} and holds nothing.
 */
public interface DistributedLock {

    /** The name given to the provider. */
    String name();

    /** The mode a handle from this lock holds: exclusive, read, write or permit. */
    LockMode mode();

    /**
     * Waits as long as it takes to acquire the lock.
     *
     * @throws InterruptedException if the thread is interrupted while waiting
     * @throws LockBackendException if the backing store fails
     */
    LockHandle acquire() throws InterruptedException;

    /**
     * Waits at most {@code timeout} to acquire the lock.
     *
     * @throws LockTimeoutException if the lock was not acquired in time
     * @throws InterruptedException if the thread is interrupted while waiting
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    LockHandle acquire(Duration timeout) throws InterruptedException;

    /**
     * One attempt, no waiting. Returns empty when someone else holds the lock. If the calling
     * thread's interrupt status is set, may return empty; the status is preserved.
     */
    Optional<LockHandle> tryAcquire();

    /**
     * Waits at most {@code timeout}; returns empty instead of throwing on timeout.
     *
     * @throws InterruptedException if the thread is interrupted while waiting
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    Optional<LockHandle> tryAcquire(Duration timeout) throws InterruptedException;

    /**
     * Acquires on a provider-owned thread. The future fails with {@link LockTimeoutException}
     * on timeout. Cancelling the future stops the wait; a lock obtained after cancellation is
     * released at once.
     */
    CompletableFuture<LockHandle> acquireAsync(Duration timeout);
}
