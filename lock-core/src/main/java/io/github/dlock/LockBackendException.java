package io.github.dlock;

/**
 * The backing store could not be reached or failed (I/O error, lost connection, server
 * error). The cause carries the backend's own exception. When thrown from an acquire
 * call, nothing is held.
 */
public class LockBackendException extends LockException {
    private static final long serialVersionUID = 1L;

    public LockBackendException(String message, Throwable cause) {
        super(message, cause);
    }

    public LockBackendException(String message) {
        super(message);
    }
}
