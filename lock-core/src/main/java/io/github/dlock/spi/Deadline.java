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
     * @throws IllegalArgumentException if {@code timeout} is negative
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

    /** A wait with no deadline. */
    public static Deadline none(Ticker ticker) {
        return new Deadline(Objects.requireNonNull(ticker, "ticker"), NONE);
    }

    /** Whether this wait may go on forever. */
    public boolean isUnbounded() {
        return timeoutNanos == NONE;
    }

    /** Whether this "wait" is a single attempt (a zero timeout). */
    public boolean isImmediate() {
        return timeoutNanos == 0;
    }

    /** Nanoseconds left, never negative; {@link Long#MAX_VALUE} when unbounded. */
    public long remainingNanos() {
        if (timeoutNanos == NONE) return Long.MAX_VALUE;
        return Math.max(0, timeoutNanos - (ticker.read() - startNanos));
    }

    public boolean hasExpired() {
        return remainingNanos() == 0;
    }

    /** The timeout this deadline was made from, for messages. */
    public Duration timeout() {
        return timeoutNanos == NONE ? Duration.ofSeconds(Long.MAX_VALUE) : Duration.ofNanos(timeoutNanos);
    }
}
