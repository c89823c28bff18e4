package io.github.dlock;

/**
 * Base of every exception this library throws for lock-related failures. Unchecked, so
 * callers choose where to handle it; bad arguments are reported separately with
 * {@link IllegalArgumentException} or {@link NullPointerException} naming the argument.
 */
public class LockException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LockException(String message) {
        super(message);
    }

    public LockException(String message, Throwable cause) {
        super(message, cause);
    }
}
