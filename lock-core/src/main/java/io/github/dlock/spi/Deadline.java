package io.github.dlock.spi;

import io.github.dlock.internal.Arguments;
import java.time.Duration;
import java.util.Objects;

/**
 * A point in time by which a wait must end, fixed once from a caller's timeout so that
 * every loop iteration subtracts the time already spent. Timeouts too large to represent
 * (centuries) mean "no deadline".
 */
public final class Deadline {
    private static final long NONE = Long.MAX_VALUE;

    private final Ticker ticker;
    private final long startNanos;
    private final long timeoutNanos;

    private Deadline(Ticker ticker, long timeoutNanos) {
        this.ticker = ticker;
        this.startNanos = ticker.read();
        this.timeoutNanos = timeoutNanos;
    }

    /**
     * The deadline {@code timeout} from now.
     *
     * @param timeout the longest wait; zero for a single attempt, and a timeout too long to
     *     count in nanoseconds (about 292 years) makes the deadline unbounded
     * @param ticker the clock to measure the wait by; read once now and on every
     *     {@link #remainingNanos()}
     * @return a deadline that starts now
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if an argument is null
     */
    public static Deadline after(Duration timeout, Ticker ticker) {
        Arguments.requireNonNegative(timeout, "timeout");
        Objects.requireNonNull(ticker, "ticker");
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException e) {
            nanos = NONE;
        }
        return new Deadline(ticker, nanos);
    }

    /**
     * A wait with no deadline.
     *
     * @param ticker the clock, read once now
     * @return an unbounded deadline
     * @throws NullPointerException if {@code ticker} is null
     */
    public static Deadline none(Ticker ticker) {
        return new Deadline(Objects.requireNonNull(ticker, "ticker"), NONE);
    }

    /**
     * Whether this wait may go on forever.
     *
     * @return {@code true} for {@link #none(Ticker)}, and for a timeout too long to count in
     *     nanoseconds
     */
    public boolean isUnbounded() {
        return timeoutNanos == NONE;
    }

    /**
     * Whether this "wait" is a single attempt (a zero timeout).
     *
     * @return {@code true} if the deadline was made from a zero timeout
     */
    public boolean isImmediate() {
        return timeoutNanos == 0;
    }

    /**
     * Nanoseconds left, never negative; {@link Long#MAX_VALUE} when unbounded.
     *
     * @return the time left now, by the ticker
     */
    public long remainingNanos() {
        if (timeoutNanos == NONE) return Long.MAX_VALUE;
        return Math.max(0, timeoutNanos - (ticker.read() - startNanos));
    }

    /**
     * Whether the deadline has passed.
     *
     * @return {@code true} if no time is left (always, for a zero timeout; never, when
     *     unbounded)
     */
    public boolean hasExpired() {
        return remainingNanos() == 0;
    }

    /**
     * The timeout this deadline was made from, for messages.
     *
     * @return the timeout; {@code Duration.ofSeconds(Long.MAX_VALUE)} when unbounded
     */
    public Duration timeout() {
        return timeoutNanos == NONE ? Duration.ofSeconds(Long.MAX_VALUE) : Duration.ofNanos(timeoutNanos);
    }
}
