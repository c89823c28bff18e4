package io.github.dlock.internal;

import io.github.dlock.RetryStrategy;
import io.github.dlock.spi.Deadline;
import java.util.function.BooleanSupplier;

/**
 * The wait loop for backends that must poll: repeat an attempt, pausing per the
 * {@link RetryStrategy} (bounded by the deadline) and waking early on a {@link WakeSignal}.
 * Checks interruption before every attempt. A wait woken by {@link WakeSignal#signalOne} is
 * followed by an attempt; if the loop ends before it (interrupted, or the attempt throws), the
 * wake-up is passed on to another waiter, so a release that could let one waiter in is never
 * left to the retry timers.
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
        return run(deadline, retry, signal, attempt, failedAlready, NEVER);
    }

    private static final BooleanSupplier NEVER = () -> false;

    /**
     * As {@link #run(Deadline, RetryStrategy, WakeSignal, Attempt, int)}, where
     * {@code pauseShortly} is asked after every failed attempt: when it answers true, the
     * strategy's pause is cut into polls of its first (shortest) pause, e.g. for a waiter that
     * has reached the front of a queue and will soon find the lock free. Only attempts made
     * once a strategy pause is over count against the strategy's attempt limit and advance its
     * backoff; the extra polls within a pause do not, so a limited wait never ends sooner.
     */
    public static <T> T run(Deadline deadline, RetryStrategy retry, WakeSignal signal, Attempt<T> attempt, int failedAlready,
            BooleanSupplier pauseShortly) throws InterruptedException {
        return run(deadline, retry, signal, attempt, failedAlready, pauseShortly, System.nanoTime());
    }

    /**
     * As {@link #run(Deadline, RetryStrategy, WakeSignal, Attempt, int, BooleanSupplier)} for an
     * acquisition that {@linkplain WakeSignal#arrive() arrived} at {@code arrivedAt}: its waits
     * are woken in order of arrival.
     */
    public static <T> T run(Deadline deadline, RetryStrategy retry, WakeSignal signal, Attempt<T> attempt, int failedAlready,
            BooleanSupplier pauseShortly, long arrivedAt) throws InterruptedException {
        int failures = failedAlready;
        if (failures > 0 && (deadline.remainingNanos() == 0 || !retry.allowsAnotherAttempt(failures))) return null;
        boolean polling = false; // within a strategy pause cut into short polls, which ends at pauseEnds
        long pauseEnds = 0;
        boolean owed = false; // the last wait took a signalOne: the attempt it was for is not made yet
        try {
            while (true) {
                if (Thread.interrupted()) throw new InterruptedException();
                long seen = signal.generation();
                T result = attempt.tryOnce();
                owed = false;
                if (result != null) return result;
                long remaining = deadline.remainingNanos();
                if (remaining == 0) return null;
                boolean shortly = pauseShortly.getAsBoolean();
                long now = System.nanoTime();
                if (!polling || now - pauseEnds >= 0) { // this attempt ends a strategy pause (or made none yet): it counts
                    failures++;
                    if (!retry.allowsAnotherAttempt(failures)) return null;
                    long pause = retry.delayNanos(failures);
                    if (!shortly) {
                        polling = false;
                        owed = signal.awaitChange(seen, Math.min(remaining, pause), arrivedAt);
                        continue;
                    }
                    polling = true;
                    pauseEnds = now + Math.min(pause, Long.MAX_VALUE / 4);
                }
                long left = pauseEnds - now;
                owed = signal.awaitChange(seen, Math.min(remaining, shortly ? Math.min(left, retry.delayNanos(1)) : left), arrivedAt);
            }
        } finally {
            if (owed) signal.signalOne();
        }
    }
}
