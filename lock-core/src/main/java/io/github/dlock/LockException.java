package io.github.dlock;

/**
 * Base of every exception this library throws for lock-related failures. Unchecked, so
 * callers choose where to handle it; bad arguments are reported separately with
 * {@link IllegalArgumentException} or {@link NullPointerException} naming the argument.
 */
public class LockException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with a message and no cause.
     *
     * @param message what went wrong
     */
    public LockException(String message) {
        super(message);
    }

    /**
     * An exception with a message and the failure that caused it.
     *
     * @param message what went wrong
     * @param cause the underlying failure, or {@code null} if none is known
     */
    public LockException(String message, Throwable cause) {
        super(message, cause);
    }
}
