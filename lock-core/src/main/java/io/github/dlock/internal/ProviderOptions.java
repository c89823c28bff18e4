package io.github.dlock.internal;

import io.github.dlock.internal.Durations;
import io.github.dlock.RetryStrategy;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Typed, validated access to the string options of a provider URL, which tracks what was
 * read so that {@link #rejectUnknown()} can name misspelled options.
 */
public final class ProviderOptions {
    private final String scheme;
    private final Map<String, String> values;
    private final Set<String> known = new TreeSet<>();

    public ProviderOptions(String scheme, Map<String, String> values) {
        this.scheme = Objects.requireNonNull(scheme, "scheme");
        this.values = new TreeMap<>(Objects.requireNonNull(values, "options"));
    }

    public Optional<String> string(String key) {
        known.add(key);
        return Optional.ofNullable(values.get(key));
    }

    /** A duration in {@link Durations} syntax. */
    public Optional<Duration> duration(String key) {
        return string(key).map(v -> Durations.parse(v, "option " + key));
    }

    /** {@code true} or {@code false} (any case). */
    public Optional<Boolean> bool(String key) {
        return string(key).map(v -> {
            if (v.equalsIgnoreCase("true")) return Boolean.TRUE;
            if (v.equalsIgnoreCase("false")) return Boolean.FALSE;
            throw new IllegalArgumentException("option " + key + " must be true or false: '" + v + "'");
        });
    }

    /** A whole number within {@code [min, max]}. */
    public OptionalInt integer(String key, int min, int max) {
        Optional<String> v = string(key);
        if (v.isEmpty()) return OptionalInt.empty();
        int n;
        try {
            n = Integer.parseInt(v.get().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + key + " must be a whole number: '" + v.get() + "'");
        }
        if (n < min || n > max) throw new IllegalArgumentException("option " + key + " must be within [" + min + ", " + max + "]: " + n);
        return OptionalInt.of(n);
    }

    /** A retry strategy ({@code retry=exponential:1ms:50ms}) with an optional {@code maxAttempts}. */
    public Optional<RetryStrategy> retryStrategy() {
        Optional<RetryStrategy> retry = string("retry").map(v -> RetryStrategy.parse(v, "option retry"));
        OptionalInt attempts = integer("maxAttempts", 1, Integer.MAX_VALUE);
        if (attempts.isPresent()) return Optional.of(retry.orElseGet(RetryStrategy::defaultStrategy).withMaxAttempts(attempts.getAsInt()));
        return retry;
    }

    /**
     * Fails if an option was given that no getter asked for.
     *
     * @throws IllegalArgumentException naming the unknown options and listing the known ones
     */
    public void rejectUnknown() {
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown option" + (unknown.size() > 1 ? "s " : " ") + unknown
                    + " for " + scheme + " URLs; known options: " + known);
        }
    }
}
