package io.github.dlock.spring;

import io.github.dlock.LockHandle;
import java.util.Optional;

/**
 * The lock held for the {@link Locked} method running on the current thread, for its fencing
 * token or to check {@link LockHandle#isLost()} between steps.
 */
public final class CurrentLock {
    private static final ThreadLocal<LockHandle> CURRENT = new ThreadLocal<>();

    private CurrentLock() {}

    /**
     * The handle of the innermost {@link Locked} method running on this thread; empty outside
     * such a method (and on other threads the method started). Do not release it: the aspect
     * does when the method ends.
     *
     * @return the current handle, if any
     */
    public static Optional<LockHandle> handle() {
        return Optional.ofNullable(CURRENT.get());
    }

    /** Makes {@code handle} current; returns the previous one, to be given to {@link #restore}. */
    static LockHandle enter(LockHandle handle) {
        LockHandle previous = CURRENT.get();
        CURRENT.set(handle);
        return previous;
    }

    static void restore(LockHandle previous) {
        if (previous == null) CURRENT.remove();
        else CURRENT.set(previous);
    }
}
