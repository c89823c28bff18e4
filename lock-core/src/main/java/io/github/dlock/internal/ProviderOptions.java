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
 * read so that {@link #rejectUnknown()} can name misspelled options. Option names match in
 * any case and with or without {@code -}, {@code _} or {@code .} between words:
 * {@code poolSize}, {@code pool-size} (Spring's properties) and {@code POOLSIZE} or
 * {@code pool_size} (environment variables) are one option.
 */
public final class ProviderOptions {
    private final String scheme;
    /** By relaxed name: the value and the name as given. */
    private final Map<String, Map.Entry<String, String>> values = new TreeMap<>();
    private final Set<String> known = new TreeSet<>();

    /**
     * @param scheme the URL scheme, for messages
     * @param values the options as given
     * @throws IllegalArgumentException if two of them are one option spelt two ways
     */
    public ProviderOptions(String scheme, Map<String, String> values) {
        this.scheme = Objects.requireNonNull(scheme, "scheme");
        for (Map.Entry<String, String> e : new TreeMap<>(Objects.requireNonNull(values, "options")).entrySet()) {
            Map.Entry<String, String> before = this.values.putIfAbsent(relaxed(e.getKey()), Map.entry(e.getKey(), e.getValue()));
            if (before != null) {
                throw new IllegalArgumentException("option " + before.getKey() + " was given twice (as " + before.getKey() + " and " + e.getKey() + ")");
            }
        }
    }

    private static String relaxed(String key) {
        return key.replaceAll("[-_.]", "").toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * @param key the option's name, as documented
     * @return its value, if given
     */
    public Optional<String> string(String key) {
        known.add(key);
        Map.Entry<String, String> given = values.get(relaxed(key));
        return given == null ? Optional.empty() : Optional.of(given.getValue());
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
        Set<String> knownRelaxed = new TreeSet<>();
        for (String k : known) knownRelaxed.add(relaxed(k));
        Set<String> unknown = new TreeSet<>();
        values.forEach((relaxedKey, given) -> {
            if (!knownRelaxed.contains(relaxedKey)) unknown.add(given.getKey());
        });
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown option" + (unknown.size() > 1 ? "s " : " ") + unknown
                    + " for " + scheme + " URLs; known options: " + known);
        }
    }
}
