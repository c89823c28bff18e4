package io.github.dlock.spi;

import io.github.dlock.RetryStrategy;

/**
 * The wait loop for backends that must poll: repeat an attempt, pausing per the
 * {@link RetryStrategy} (bounded by the deadline) and waking early on a {@link WakeSignal}.
 * Checks interruption before every attempt.
 */
public final class AcquireLoop {

    /** One non-blocking attempt; {@code null} means "not now". */
    @FunctionalInterface
    public interface Attempt<T> {
        T tryOnce() throws InterruptedException;
    }

    private AcquireLoop() {}

    /**
     * Runs {@code attempt} until it returns non-null, the deadline passes or the strategy's
     * attempt limit is reached (then returns {@code null}). Always makes at least one attempt.
     */
    public static <T> T run(Deadline deadline, RetryStrategy retry, WakeSignal signal, Attempt<T> attempt)
            throws InterruptedException {
        return run(deadline, retry, signal, attempt, 0);
    }

    /**
     * As {@link #run(Deadline, RetryStrategy, WakeSignal, Attempt)}, after {@code failedAlready}
     * attempts the caller made itself (e.g. one before subscribing to release notifications):
     * they count against the strategy's limit, and the next attempt is made at once.
     */
    public static <T> T run(Deadline deadline, RetryStrategy retry, WakeSignal signal, Attempt<T> attempt, int failedAlready)
            throws InterruptedException {
        int failures = failedAlready;
        if (failures > 0 && (deadline.remainingNanos() == 0 || !retry.allowsAnotherAttempt(failures))) return null;
        while (true) {
            if (Thread.interrupted()) throw new InterruptedException();
            long seen = signal.generation();
            T result = attempt.tryOnce();
            if (result != null) return result;
            failures++;
            long remaining = deadline.remainingNanos();
            if (remaining == 0 || !retry.allowsAnotherAttempt(failures)) return null;
            signal.awaitChange(seen, Math.min(remaining, retry.delayNanos(failures)));
        }
    }
}
