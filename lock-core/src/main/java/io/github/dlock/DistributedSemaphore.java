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
     * @return the permit count given to the provider
     */
    int permits();
}
