package io.github.dlock;

/**
 * The backing store could not be reached or failed (I/O error, lost connection, server
 * error). The cause carries the backend's own exception. When thrown from an acquire
 * call, nothing is held.
 */
public class LockBackendException extends LockException {
    private static final long serialVersionUID = 1L;

    /**
     * A backend failure with the backend's own exception.
     *
     * @param message what failed
     * @param cause the backend's exception, or {@code null} if none is known
     */
    public LockBackendException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * A backend failure with no underlying exception (for example a call that timed out).
     *
     * @param message what failed
     */
    public LockBackendException(String message) {
        super(message);
    }
}
