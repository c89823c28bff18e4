package io.github.dlock;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.Lock;
import java.util.function.Function;

/**
 * A named lock shared by every process that uses the same backing store and name. Objects
 * of this type are cheap, thread-safe descriptions of the lock; each successful acquire
 * returns a new {@link LockHandle} that owns the lock until released.
 *
 * <p>Locks are not re-entrant. Blocking calls honour thread interruption: an interrupted
 * waiter throws {@link InterruptedException} and holds nothing. Closing the provider wakes
 * every waiter at once: blocking calls then throw {@link IllegalStateException} saying the
 * provider was closed, and pending {@code acquireAsync} futures fail with it.
 */
public interface DistributedLock {

    /**
     * The name given to the provider.
     *
     * @return the lock's name, exactly as passed to the provider
     */
    String name();

    /**
     * The mode a handle from this lock holds: exclusive, read, write or permit.
     *
     * @return {@link LockMode#EXCLUSIVE} for a mutex, {@link LockMode#READ} or
     *     {@link LockMode#WRITE} for a side of a read-write lock, {@link LockMode#PERMIT} for a
     *     semaphore
     */
    LockMode mode();

    /**
     * Waits as long as it takes to acquire the lock. The wait has no deadline; it ends without
     * the lock only if the provider's {@link RetryStrategy} has an attempt limit
     * ({@link RetryStrategy#withMaxAttempts(int)}) and that many attempts failed.
     *
     * @return a new handle that holds the lock until it is released
     * @throws LockTimeoutException if the retry strategy's attempt limit was reached
     * @throws InterruptedException if the thread is interrupted while waiting
     * @throws LockBackendException if the backing store fails
     * @throws IllegalStateException if the provider is closed, or is closed while waiting
     */
    LockHandle acquire() throws InterruptedException;

    /**
     * Waits at most {@code timeout} to acquire the lock.
     *
     * @param timeout the longest wait; {@link Duration#ZERO} makes a single attempt, and a
     *     timeout too long to count in nanoseconds (about 292 years) waits without a deadline
     * @return a new handle that holds the lock until it is released
     * @throws LockTimeoutException if the lock was not acquired in time, or the retry
     *     strategy's attempt limit was reached first
     * @throws InterruptedException if the thread is interrupted while waiting
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if {@code timeout} is null
     * @throws LockBackendException if the backing store fails
     * @throws IllegalStateException if the provider is closed, or is closed while waiting
     */
    LockHandle acquire(Duration timeout) throws InterruptedException;

    /**
     * One attempt, no waiting. Returns empty when someone else holds the lock, or, for a read
     * lock, when a writer waits for it. Otherwise it never yields to waiters: where a backend
     * makes waiters take turns (the file backend's processes waiting for a mutex or semaphore),
     * only waiting acquires take turns, and this attempt takes a free lock whoever waits. The
     * calling thread's interrupt status does not stop it (as for {@code Lock.tryLock()}) and is
     * preserved; an interrupt that arrives during the attempt makes it return empty.
     *
     * @return a new handle that holds the lock until it is released, or empty if the lock was
     *     not free (or an interrupt arrived during the attempt)
     * @throws LockBackendException if the store fails, or cannot serve the attempt within its
     *     call timeout (e.g. Redis: every connection of the provider stayed busy that long)
     * @throws IllegalStateException if the provider is closed
     */
    Optional<LockHandle> tryAcquire();

    /**
     * Waits at most {@code timeout}; returns empty instead of throwing on timeout.
     *
     * @param timeout the longest wait; {@link Duration#ZERO} makes a single attempt
     * @return a new handle that holds the lock until it is released, or empty if the lock was
     *     not acquired in time or the retry strategy's attempt limit was reached
     * @throws InterruptedException if the thread is interrupted while waiting
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if {@code timeout} is null
     * @throws LockBackendException if the backing store fails
     * @throws IllegalStateException if the provider is closed, or is closed while waiting
     */
    Optional<LockHandle> tryAcquire(Duration timeout) throws InterruptedException;

    /**
     * Acquires on a thread of the provider's: a new virtual thread per call on JDK 21 and later,
     * else a daemon platform thread of a cached pool (one per pending acquisition). As
     * {@link #acquireAsync(Duration, Executor)} otherwise.
     *
     * @param timeout the longest wait, counted from when the provider's thread starts it
     * @return a future completed with a new handle, or failed as described for
     *     {@link #acquireAsync(Duration, Executor)}
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalStateException if the provider is closed
     */
    CompletableFuture<LockHandle> acquireAsync(Duration timeout);

    /**
     * Acquires as {@link #acquire(Duration)} would, on a thread of {@code executor}, and
     * completes the future with the handle. The future fails with
     * {@link LockTimeoutException} on timeout, {@link LockBackendException} if the store
     * failed, and {@link IllegalStateException} if the provider is (or gets) closed first.
     *
     * <p><b>Cancellation.</b> {@code cancel(true)} and {@code cancel(false)} both stop the wait:
     * the thread running this acquisition is interrupted (only while it runs it; the interrupt
     * is cleared before the thread goes back to {@code executor}). A lock obtained in the race
     * with cancellation is released at once, so a cancelled future never leaves anything
     * held.
     *
     * <p><b>Other interrupts.</b> If the thread running the acquisition is interrupted by anyone
     * but this future's own cancellation (the executor's owner, e.g. {@code shutdownNow()}, or
     * the caller itself when {@code executor} runs tasks on the calling thread and the caller's
     * interrupt status is set), the future is cancelled and the thread's interrupt status stays
     * set, so the interrupt is not lost. If both happen at once, the interrupt may be taken for
     * the cancellation's and cleared.
     *
     * <p>If {@code executor} rejects the task, the future fails with its
     * {@link java.util.concurrent.RejectedExecutionException} (or, if the provider was closed
     * meanwhile, with the {@link IllegalStateException} saying so).
     *
     * @param timeout the longest wait, counted from when {@code executor} starts the task, not
     *     from this call
     * @param executor runs the acquisition (and its wait) on one of its threads
     * @return a future completed with a new handle, or failed as described above
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if the provider is closed
     */
    CompletableFuture<LockHandle> acquireAsync(Duration timeout, Executor executor);
    /**
     * Runs {@code action} while holding the lock: waits at most {@code timeout} for it, runs
     * the action on the calling thread, then releases the lock whatever the action did. The
     * same as {@code try (LockHandle h = acquire(timeout)) { action.run(); }} plus a check that
     * the lock was held throughout (see {@link #withLock(Duration, Function)}). An unchecked
     * exception of the action is rethrown as is, after the lock is released.
     *
     * @param timeout the longest wait for the lock
     * @param action what to run while the lock is held
     * @throws LockTimeoutException if the lock was not acquired in time (the action did not run)
     * @throws LockLostException if the lock was lost, or released by {@code close()} of the
     *     provider, while the action ran (the action did run
     *     to its end; another holder may have overlapped it)
     * @throws InterruptedException if the thread was interrupted while waiting for the lock
     * @throws LockBackendException if the store failed while acquiring or releasing
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if the provider is closed
     */
    default void withLock(Duration timeout, Runnable action) throws InterruptedException {
        java.util.Objects.requireNonNull(action, "action");
        withLock(timeout, handle -> {
            action.run();
            return null;
        });
    }

    /**
     * Computes a value while holding the lock, with the handle at hand (for its
     * {@linkplain LockHandle#fencingToken() fencing token}, or to check
     * {@link LockHandle#isLost()} between steps). The lock is released when {@code action}
     * returns or throws; an exception of the action is rethrown as is, with any failure to
     * release added to it as suppressed. If the lock was lost while the action ran,
     * {@link LockLostException} is thrown instead of returning the value: the caller must not
     * take the result as computed under exclusion.
     *
     * @param <T> the type of the action's result
     * @param timeout the longest wait for the lock
     * @param action computes the result from the handle, on the calling thread
     * @return what {@code action} returned
     * @throws LockTimeoutException if the lock was not acquired in time (the action did not run)
     * @throws LockLostException if the lock was lost while the action ran, or released by
     *     {@code close()} of the provider
     * @throws InterruptedException if the thread was interrupted while waiting for the lock
     * @throws LockBackendException if the store failed while acquiring or releasing
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if the provider is closed
     */
    default <T> T withLock(Duration timeout, Function<? super LockHandle, ? extends T> action) throws InterruptedException {
        java.util.Objects.requireNonNull(action, "action");
        try {
            return callWithLock(timeout, (Callable<T>) null, action);
        } catch (RuntimeException | InterruptedException | Error e) {
            throw e;
        } catch (Exception sneaky) { // a checked exception the action threw without declaring it (Kotlin, @SneakyThrows)
            throw DistributedLock.<RuntimeException>rethrow(sneaky);
        }
    }

    /** Throws {@code t} as it is, whatever its type; declared to return so callers can write {@code throw}. */
    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E rethrow(Throwable t) throws E {
        throw (E) t;
    }

    /**
     * As {@link #withLock(Duration, Runnable)} for a {@link Callable}: returns its value, and
     * its checked exceptions pass through unchanged (the lock released first).
     *
     * @param <T> the type of the action's result
     * @param timeout the longest wait for the lock
     * @param action what to call, on the calling thread, while the lock is held
     * @return what {@code action} returned
     * @throws LockTimeoutException if the lock was not acquired in time (the action did not run)
     * @throws LockLostException if the lock was lost while the action ran, or released by
     *     {@code close()} of the provider
     * @throws InterruptedException if the thread was interrupted while waiting for the lock, or
     *     the action threw it
     * @throws LockBackendException if the store failed while acquiring or releasing
     * @throws Exception whatever {@code action} threw
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if the provider is closed
     */
    default <T> T callWithLock(Duration timeout, Callable<? extends T> action) throws Exception {
        java.util.Objects.requireNonNull(action, "action");
        return callWithLock(timeout, action, null);
    }

    private <T> T callWithLock(Duration timeout, Callable<? extends T> callable, Function<? super LockHandle, ? extends T> function)
            throws Exception {
        io.github.dlock.internal.Arguments.requireNonNegative(timeout, "timeout");
        LockHandle handle = acquire(timeout);
        T result;
        try {
            result = callable != null ? callable.call() : function.apply(handle);
        } catch (Throwable failure) {
            io.github.dlock.internal.Holds.releaseAfterFailure(handle, failure);
            throw failure;
        }
        io.github.dlock.internal.Holds.releaseAfterSuccess(handle, name(), "the action");
        return result;
    }

    /**
     * A {@link Lock} view of this lock for code written against {@code java.util.concurrent}:
     * a thread that locks it owns it until it unlocks it. The view is re-entrant per thread
     * (as {@link java.util.concurrent.locks.ReentrantLock}: a thread that already holds it
     * locks again at once, and must unlock as often), while different threads, in this or
     * other processes, exclude each other through the backing store (for a semaphore, up to
     * its permits at once). Each call returns a new view; views of the same lock exclude each
     * other through the store too. See {@link ThreadOwnedLock} for the details and for the
     * handle (fencing token, loss) of the current thread's hold.
     *
     * @return a new {@link ThreadOwnedLock} view of this lock
     */
    default ThreadOwnedLock asLock() {
        return new ThreadOwnedLock(this);
    }
}
