package io.github.dlock;

/**
 * A counting semaphore of {@link #permits()} permits shared across processes. Acquiring
 * takes one permit; the handle gives it back. With one permit it behaves as a mutex.
 *
 * <p>Every user of a name must agree on the number of permits; the count is part of the
 * lock's identity on some backends and the behaviour of mismatched counts is unspecified.
 */
public interface DistributedSemaphore extends DistributedLock {

    /**
     * The number of permits, at least 1.
     *
     * @return the number of permits this semaphore was created with
     */
    int permits();

    /**
     * How many permits nobody holds right now, as the store reports its holders
     * ({@link LockProvider#holders(String)}): {@code permits()} minus the permit holders,
     * never below 0. A snapshot, stale on return; one round trip (Redis: a majority of
     * servers), a {@code pg_locks} query (PostgreSQL) or a read of the lock file (file). Use it
     * for monitoring and back-pressure hints, never to decide whether an acquire would succeed.
     *
     * @return the free permits, 0 to {@code permits()}
     * @throws LockBackendException if the store cannot be asked
     * @throws UnsupportedOperationException if the backend cannot tell
     * @throws IllegalStateException if the provider is closed
     */
    int availablePermits();
}
