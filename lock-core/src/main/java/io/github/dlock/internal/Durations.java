package io.github.dlock.internal;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the duration syntax shared by URL options and the command line: a whole number
 * with a unit ({@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, also
 * {@code ns} and {@code us}), a bare {@code 0}, or ISO-8601 ({@code PT1M30S}). Negative
 * durations are rejected.
 */
public final class Durations {
    private static final Pattern SIMPLE = Pattern.compile("(\\d{1,18})\\s*(ns|us|ms|s|m|h|d)");

    private Durations() {}

    /**
     * Parses {@code text}; {@code argument} names what is parsed in the error message.
     *
     * @throws IllegalArgumentException naming {@code argument} if the text is not a
     *     non-negative duration
     */
    public static Duration parse(String text, String argument) {
        Objects.requireNonNull(argument, "argument");
        Objects.requireNonNull(text, argument);
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("0")) return Duration.ZERO;
        Matcher m = SIMPLE.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            try {
                switch (m.group(2)) {
                    case "ns": return Duration.ofNanos(n);
                    case "us": return Duration.ofNanos(Math.multiplyExact(n, 1000L));
                    case "ms": return Duration.ofMillis(n);
                    case "s": return Duration.ofSeconds(n);
                    case "m": return Duration.ofMinutes(n);
                    case "h": return Duration.ofHours(n);
                    default: return Duration.ofDays(n);
                }
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(argument + " is too large: '" + text + "'");
            }
        }
        if (t.startsWith("p") || t.startsWith("-p")) {
            try {
                Duration d = Duration.parse(text.trim());
                if (d.isNegative()) throw new IllegalArgumentException(argument + " must not be negative: '" + text + "'");
                return d;
            } catch (DateTimeParseException e) {
                // fall through to the common message
            }
        }
        if (t.startsWith("-")) throw new IllegalArgumentException(argument + " must not be negative: '" + text + "'");
        throw new IllegalArgumentException(argument + ": cannot parse '" + text
                + "' as a duration; use e.g. 250ms, 30s, 5m, 2h or ISO-8601 such as PT30S");
    }
}
