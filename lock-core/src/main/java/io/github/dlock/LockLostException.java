package io.github.dlock;

/**
 * An operation needed a lock that this process no longer holds: the lease expired, the
 * connection that held it died, or the backing store lost it. Work protected by the lock
 * must be treated as no longer exclusive.
 */
public class LockLostException extends LockException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception for a lock that is no longer held.
     *
     * @param message which lock was lost, and how if known
     */
    public LockLostException(String message) {
        super(message);
    }
}
