package io.github.dlock.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * dlock's own lines on stderr, by kind: errors always; informational lines (such as "not
 * acquired within ...") unless {@code --quiet}; details (the store, acquisition timing, the
 * fencing token) only with {@code --verbose}. The guarded command's output never passes
 * through here. A URL is only ever shown redacted.
 */
final class Messages {
    private final PrintWriter err;
    private final boolean quiet;
    private final boolean verbose;

    Messages(PrintWriter err, boolean quiet, boolean verbose) {
        this.err = Objects.requireNonNull(err, "err");
        if (quiet && verbose) throw new IllegalArgumentException("--quiet and --verbose cannot be combined");
        this.quiet = quiet;
        this.verbose = verbose;
    }

    /** The stream itself, for messages printed by helpers that take one (always shown). */
    PrintWriter err() {
        return err;
    }

    /** An error: always printed. */
    void error(String line) {
        err.println("dlock: " + line);
    }

    /** An informational line: printed unless {@code --quiet}. */
    void info(String line) {
        if (!quiet) err.println("dlock: " + line);
    }

    /** A detail: printed only with {@code --verbose}. */
    void verbose(String line) {
        if (verbose) err.println("dlock: " + line);
    }

    boolean isVerbose() {
        return verbose;
    }

    /** {@code 0.012s}, {@code 3.400s}: a duration for humans, to the millisecond. */
    static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.3fs", d.getSeconds() + d.getNano() / 1e9); // no toNanos(): it overflows past 292 years
    }
}
