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
     * {@code url} masked for messages and logs: everything between {@code ://} and the last
     * {@code @} (user-info, also when an unencoded {@code /}, {@code ?} or {@code #} in the
     * password moved it out of the parsed authority; a user name before a {@code :} stays), and
     * the value, up to the next {@code &} or {@code #}, of every query option whose name,
     * percent-decoded and in any case, ends in {@code password}, {@code pass} or {@code pwd}
     * ({@code password=}, {@code sentinelPassword=}, {@code sentinel%50assword=}).
     */
    public static String redactUrl(String url) {
        if (url == null) return "null";
        String masked = maskPasswordOptions(url);
        int scheme = masked.indexOf("://");
        int at = masked.lastIndexOf('@');
        if (scheme < 0 || at < scheme + 3) return masked;
        String userInfo = masked.substring(scheme + 3, at);
        int colon = userInfo.indexOf(':');
        boolean plainUser = colon > 0 && userInfo.substring(0, colon).chars().noneMatch(ch -> "/?#&=".indexOf(ch) >= 0);
        String shown = plainUser ? userInfo.substring(0, colon) + ":***" : "***";
        return masked.substring(0, scheme + 3) + shown + masked.substring(at);
    }

    private static String maskPasswordOptions(String url) {
        StringBuilder out = new StringBuilder(url.length());
        int i = 0;
        int query = url.indexOf('?');
        if (query < 0) return url;
        out.append(url, 0, query + 1);
        i = query + 1;
        while (i < url.length()) {
            int end = i;
            while (end < url.length() && url.charAt(end) != '&' && url.charAt(end) != '#') end++;
            String pair = url.substring(i, end);
            int eq = pair.indexOf('=');
            if (eq > 0 && isPasswordName(pair.substring(0, eq))) out.append(pair, 0, eq + 1).append("***");
            else out.append(pair);
            if (end < url.length()) out.append(url.charAt(end));
            if (end < url.length() && url.charAt(end) == '#') {
                out.append(url, end + 1, url.length());
                break;
            }
            i = end + 1;
        }
        return out.toString();
    }

    private static boolean isPasswordName(String rawName) {
        String name;
        try {
            name = java.net.URLDecoder.decode(rawName.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            name = rawName;
        }
        name = name.toLowerCase(java.util.Locale.ROOT);
        return name.endsWith("password") || name.endsWith("pass") || name.endsWith("pwd");
    }
}
