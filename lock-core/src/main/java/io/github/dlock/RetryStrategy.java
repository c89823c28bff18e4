package io.github.dlock;

import static io.github.dlock.internal.Arguments.requirePositive;

import io.github.dlock.internal.Durations;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long a waiter pauses between attempts when a backend must poll (for example file
 * locks held by another process, which the OS does not announce). Backends that are woken
 * by the server (Redis pub/sub, PostgreSQL queues) use it only as a fallback.
 *
 * <p>Immutable. Delays are bounded by the wait's deadline, so a long delay never makes a
 * timeout late. {@link #withMaxAttempts(int)} makes a wait give up (as a timeout) after that
 * many failed attempts.
 */
public final class RetryStrategy {
    private enum Shape { FIXED, LINEAR, EXPONENTIAL }

    private final Shape shape;
    private final long initialNanos;
    private final long stepNanos;
    private final long maxNanos;
    private final double jitter;
    private final int maxAttempts;

    private RetryStrategy(Shape shape, long initialNanos, long stepNanos, long maxNanos, double jitter, int maxAttempts) {
        this.shape = shape;
        this.initialNanos = initialNanos;
        this.stepNanos = stepNanos;
        this.maxNanos = maxNanos;
        this.jitter = jitter;
        this.maxAttempts = maxAttempts;
    }

    /**
     * The same {@code delay} before every retry.
     *
     * @param delay the pause between attempts
     * @return a strategy without jitter or attempt limit
     * @throws IllegalArgumentException if {@code delay} is shorter than 1 ms or longer than a day
     * @throws NullPointerException if {@code delay} is null
     */
    public static RetryStrategy fixed(Duration delay) {
        long d = pause(delay, "delay", MIN_PAUSE);
        return new RetryStrategy(Shape.FIXED, d, 0, d, 0, 0);
    }

    /**
     * {@code initial}, then {@code initial + step}, {@code initial + 2 step}, ... up to {@code max}.
     *
     * @param initial the first pause
     * @param step what each later pause adds
     * @param max the longest pause
     * @return a strategy without jitter or attempt limit
     * @throws IllegalArgumentException if {@code initial} or {@code max} is shorter than 1 ms, a duration is not
     *     positive or longer than a day, or {@code max} is less than {@code initial}
     * @throws NullPointerException if a duration is null
     */
    public static RetryStrategy linear(Duration initial, Duration step, Duration max) {
        long i = pause(initial, "initial", MIN_PAUSE);
        long s = pause(step, "step", Duration.ofNanos(1));
        long m = pause(max, "max", MIN_PAUSE);
        if (m < i) throw new IllegalArgumentException("max must be >= initial: max=" + max + ", initial=" + initial);
        return new RetryStrategy(Shape.LINEAR, i, s, m, 0, 0);
    }

    /**
     * Doubling delays from {@code initial} up to {@code max}, with half of each delay
     * randomised ("equal jitter") so that waiters in different processes spread out.
     *
     * @param initial the first pause (before jitter)
     * @param max the longest pause (before jitter)
     * @return a strategy with a jitter of 0.5 and no attempt limit
     * @throws IllegalArgumentException if {@code initial} or {@code max} is shorter than 1 ms, a duration is not
     *     positive or longer than a day, or {@code max} is less than {@code initial}
     * @throws NullPointerException if a duration is null
     */
    public static RetryStrategy exponential(Duration initial, Duration max) {
        long i = pause(initial, "initial", MIN_PAUSE);
        long m = pause(max, "max", MIN_PAUSE);
        if (m < i) throw new IllegalArgumentException("max must be >= initial: max=" + max + ", initial=" + initial);
        return new RetryStrategy(Shape.EXPONENTIAL, i, 0, m, 0.5, 0);
    }

    /**
     * The default: exponential from 1 ms to 50 ms with jitter, no attempt limit.
     *
     * @return {@code exponential(Duration.ofMillis(1), Duration.ofMillis(50))}
     */
    public static RetryStrategy defaultStrategy() {
        return exponential(Duration.ofMillis(1), Duration.ofMillis(50));
    }

    /**
     * Parses {@code fixed:10ms}, {@code linear:1ms:5ms:100ms} or {@code exponential:1ms:50ms}
     * (durations as in {@link Durations}).
     *
     * @param text the strategy, e.g. {@code exponential:1ms:50ms}; surrounding white space is
     *     ignored
     * @param argument what is parsed (e.g. an option name), for the error message
     * @return the strategy the text describes, without attempt limit
     * @throws IllegalArgumentException naming {@code argument} on malformed text, or on
     *     durations {@link #fixed}, {@link #linear} or {@link #exponential} reject
     * @throws NullPointerException if {@code text} is null
     */
    public static RetryStrategy parse(String text, String argument) {
        Objects.requireNonNull(text, argument);
        String[] p = text.trim().split(":", -1); // keeps empty parts, so "fixed:5ms:" is rejected
        try {
            switch (p[0]) {
                case "fixed":
                    if (p.length == 2) return fixed(Durations.parse(p[1], argument));
                    break;
                case "linear":
                    if (p.length == 4) return linear(Durations.parse(p[1], argument), Durations.parse(p[2], argument), Durations.parse(p[3], argument));
                    break;
                case "exponential":
                    if (p.length == 3) return exponential(Durations.parse(p[1], argument), Durations.parse(p[2], argument));
                    break;
                default:
                    break;
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(argument + ": " + e.getMessage(), e);
        }
        throw new IllegalArgumentException(argument + ": cannot parse '" + text
                + "'; use fixed:DELAY, linear:INITIAL:STEP:MAX or exponential:INITIAL:MAX");
    }

    /**
     * A copy that gives up after {@code attempts} failed attempts (at least 1).
     *
     * @param attempts the most attempts a wait makes
     * @return a new strategy with the same delays and jitter and this limit
     * @throws IllegalArgumentException if {@code attempts} is less than 1
     */
    public RetryStrategy withMaxAttempts(int attempts) {
        if (attempts < 1) throw new IllegalArgumentException("attempts must be at least 1: " + attempts);
        return new RetryStrategy(shape, initialNanos, stepNanos, maxNanos, jitter, attempts);
    }

    /**
     * A copy with {@code fraction} (0 to 1) of each delay randomised: a delay {@code d} becomes
     * a random pause from {@code d * (1 - fraction)} to {@code d}.
     *
     * @param fraction the randomised part of each delay; 0 for none
     * @return a new strategy with the same delays and attempt limit and this jitter
     * @throws IllegalArgumentException if {@code fraction} is not within [0, 1] (or is NaN)
     */
    public RetryStrategy withJitter(double fraction) {
        if (!(fraction >= 0 && fraction <= 1)) throw new IllegalArgumentException("jitter must be within [0, 1]: " + fraction);
        return new RetryStrategy(shape, initialNanos, stepNanos, maxNanos, fraction, maxAttempts);
    }

    /**
     * Whether another attempt may follow {@code failedAttempts} failed ones.
     *
     * @param failedAttempts how many attempts of this wait failed so far
     * @return {@code true} if the strategy has no attempt limit, or {@code failedAttempts} is
     *     below it
     */
    public boolean allowsAnotherAttempt(int failedAttempts) {
        return maxAttempts == 0 || failedAttempts < maxAttempts;
    }

    /**
     * The pause, in nanoseconds, after {@code failedAttempts} (1 or more) failed attempts.
     * With jitter, each call draws a new random pause.
     *
     * @param failedAttempts how many attempts of this wait failed so far; values below 1 count
     *     as 1
     * @return the pause before the next attempt, never more than the strategy's maximum
     */
    public long delayNanos(int failedAttempts) {
        int n = Math.max(1, failedAttempts) - 1;
        long base;
        switch (shape) {
            case LINEAR:
                base = saturatedAdd(initialNanos, saturatedMultiply(stepNanos, n));
                break;
            case EXPONENTIAL:
                base = n >= 62 ? maxNanos : saturatedMultiply(initialNanos, 1L << n);
                break;
            default:
                base = initialNanos;
        }
        base = Math.min(base, maxNanos);
        if (jitter == 0) return base;
        long randomPart = (long) (base * jitter);
        return base - randomPart + (randomPart > 0 ? ThreadLocalRandom.current().nextLong(randomPart + 1) : 0);
    }

    private static long saturatedMultiply(long a, long b) {
        long r = a * b;
        return (a != 0 && (r / a != b || r < 0)) ? Long.MAX_VALUE : r;
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return r < 0 ? Long.MAX_VALUE : r;
    }

    @Override
    public String toString() {
        String s = shape.name().toLowerCase(java.util.Locale.ROOT) + "(initial=" + Duration.ofNanos(initialNanos)
                + (shape == Shape.LINEAR ? ", step=" + Duration.ofNanos(stepNanos) : "")
                + ", max=" + Duration.ofNanos(maxNanos) + ", jitter=" + jitter;
        return s + (maxAttempts > 0 ? ", maxAttempts=" + maxAttempts : "") + ")";
    }

    /** The longest pause a strategy may make: a day (longer ones are mistakes, and overflowed nanoseconds). */
    private static final Duration MAX_PAUSE = Duration.ofDays(1);

    /** The shortest pause: shorter ones would spin on the store (a round trip per microsecond). */
    private static final Duration MIN_PAUSE = Duration.ofMillis(1);

    private static long pause(Duration d, String argument, Duration min) {
        requirePositive(d, argument);
        if (d.compareTo(min) < 0) throw new IllegalArgumentException(argument + " must be at least " + min.toMillis() + " ms: " + d);
        if (d.compareTo(MAX_PAUSE) > 0) throw new IllegalArgumentException(argument + " must be at most " + MAX_PAUSE + ": " + d);
        return d.toNanos();
    }
}
