package io.github.dlock.internal;

import java.time.Duration;
import java.util.Objects;

/**
 * Argument checks shared by the API and every backend, so that all of them reject the same
 * inputs with the same messages. Not part of the public API.
 */
public final class Arguments {
    /** Longest accepted lock name, in UTF-16 chars. Long enough for keys built from URLs or paths. */
    public static final int MAX_NAME_LENGTH = 16_384;
    private static final int SHOWN_NAME_LENGTH = 80;

    private Arguments() {}

    /**
     * A lock name: not null, not blank, at most {@link #MAX_NAME_LENGTH} chars and well-formed
     * UTF-16 (an unpaired surrogate has no UTF-8 form, so two such names could collide).
     */
    public static String requireName(String name, String argument) {
        Objects.requireNonNull(name, argument);
        if (name.isBlank()) throw new IllegalArgumentException(argument + " must not be blank");
        if (name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException(argument + " is too long: " + name.length()
                    + " chars (at most " + MAX_NAME_LENGTH + ")");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < name.length() && Character.isLowSurrogate(name.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(argument + " contains an unpaired surrogate at index " + i);
            }
        }
        return name;
    }

    public static Duration requirePositive(Duration d, String argument) {
        Objects.requireNonNull(d, argument);
        if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(argument + " must be positive: " + d);
        return d;
    }

    /**
     * A duration a backend counts in whole milliseconds: at least 1 ms (shorter ones would round
     * to 0, which drivers take as "no limit") and at most {@code max}.
     *
     * @param d the duration
     * @param argument its name, for the message
     * @param max the longest accepted
     * @return {@code d}
     * @throws IllegalArgumentException if {@code d} is shorter than 1 ms or longer than {@code max}
     * @throws NullPointerException if {@code d} is null
     */
    public static Duration requireMillis(Duration d, String argument, Duration max) {
        Objects.requireNonNull(d, argument);
        if (d.compareTo(Duration.ofMillis(1)) < 0) throw new IllegalArgumentException(argument + " must be at least 1 ms: " + d);
        if (d.compareTo(max) > 0) throw new IllegalArgumentException(argument + " must be at most " + max + ": " + d);
        return d;
    }

    public static Duration requireNonNegative(Duration d, String argument) {
        Objects.requireNonNull(d, argument);
        if (d.isNegative()) throw new IllegalArgumentException(argument + " must not be negative: " + d);
        return d;
    }

    public static int requirePositive(int n, String argument) {
        if (n <= 0) throw new IllegalArgumentException(argument + " must be positive: " + n);
        return n;
    }

    /** Free text such as an owner id: not blank, at most {@code max} chars, no control characters. */
    public static String requirePrintable(String text, String argument, int max) {
        Objects.requireNonNull(text, argument);
        if (text.isBlank()) throw new IllegalArgumentException(argument + " must not be blank");
        if (text.length() > max) throw new IllegalArgumentException(argument + " is too long: " + text.length() + " chars (at most " + max + ")");
        if (text.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException(argument + " must not contain control characters");
        }
        return text;
    }

    /** A lock name cut to a readable length for messages and logs. */
    public static String describe(String name) {
        return name.length() <= SHOWN_NAME_LENGTH ? "'" + name + "'"
                : "'" + name.substring(0, SHOWN_NAME_LENGTH) + "...' (" + name.length() + " chars)";
    }

    /**
     * {@code url} with its user-info and any {@code password=} query value masked, safe for
     * messages and logs.
     */
    public static String redactUrl(String url) {
        if (url == null) return "null";
        String masked = url.replaceAll("(?i)([?&;](password|pass|pwd)=)[^&;]*", "$1***");
        int scheme = masked.indexOf("://");
        int authorityEnd = scheme + 3;
        while (authorityEnd < masked.length() && "/?#".indexOf(masked.charAt(authorityEnd)) < 0) authorityEnd++;
        int at = scheme < 0 ? -1 : masked.lastIndexOf('@', authorityEnd - 1);
        if (scheme < 0 || at < scheme) return masked;
        String userInfo = masked.substring(scheme + 3, at);
        int colon = userInfo.indexOf(':');
        String shown = colon < 0 ? "***" : userInfo.substring(0, colon) + ":***";
        return masked.substring(0, scheme + 3) + shown + masked.substring(at);
    }
}
