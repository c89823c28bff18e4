package io.github.dlock.spi;

/**
 * A source of monotonic nanoseconds, injectable so that time-dependent logic can be tested
 * without sleeping. {@link #system()} reads {@link System#nanoTime()}.
 */
@FunctionalInterface
public interface Ticker {

    /**
     * Nanoseconds from an arbitrary fixed origin; only differences are meaningful.
     *
     * @return the current reading, never smaller than an earlier one
     */
    long read();

    /**
     * The system's monotonic clock.
     *
     * @return a ticker that reads {@link System#nanoTime()}
     */
    static Ticker system() {
        return System::nanoTime;
    }
}
