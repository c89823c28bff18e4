package io.github.dlock.spi;

/**
 * The one operation a backend implements per lock kind: try to take the lock until a
 * deadline. Core builds every public variant (blocking, try, timeout-to-exception, async)
 * on top of it, so backends never repeat that logic.
 */
@FunctionalInterface
public interface Acquirer {

    /**
     * Tries to take the lock, waiting no later than {@code deadline} (a single attempt when
     * {@link Deadline#isImmediate()}).
     *
     * @param deadline when the wait must end; unbounded for {@code acquire()}
     * @return the held lock, or {@code null} if it was not acquired in time (or the retry
     *     strategy's attempt limit was reached); nothing may stay held in that case
     * @throws InterruptedException if the thread was interrupted; nothing may stay held
     * @throws io.github.dlock.LockBackendException if the store failed; nothing may stay held
     */
    HeldLock tryAcquire(Deadline deadline) throws InterruptedException;
}
