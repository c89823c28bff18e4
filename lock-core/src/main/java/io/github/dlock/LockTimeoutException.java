package io.github.dlock;

/**
 * Thrown by {@link DistributedLock#acquire(java.time.Duration)} when the lock could not be
 * taken before the timeout elapsed (or before the retry strategy's attempt limit was
 * reached). Nothing is held when it is thrown.
 */
public class LockTimeoutException extends LockException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception for a wait that ended without the lock.
     *
     * @param message which lock was waited for, and for how long
     */
    public LockTimeoutException(String message) {
        super(message);
    }
}
