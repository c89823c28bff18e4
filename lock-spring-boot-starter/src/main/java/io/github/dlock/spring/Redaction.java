package io.github.dlock.spring;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Masks credentials in text shown to others (health details): the password of the configured
 * URL (user info or a {@code password} query option) and of {@code dlock.options.password}
 * wherever it occurs, plus anything shaped like {@code scheme://user:password@} or
 * {@code password=...}.
 */
final class Redaction {
    private static final Pattern USER_INFO_PASSWORD = Pattern.compile("(://[^/@\\s:]*:)[^@\\s/]*@");
    private static final Pattern PASSWORD_OPTION = Pattern.compile("(?i)((?:password|pass|pwd)=)[^&;,\\s]*");
    private static final String MASK = "***";

    private final List<String> secrets;

    private Redaction(List<String> secrets) {
        this.secrets = secrets;
    }

    /** Masks only the generic shapes. */
    static Redaction none() {
        return new Redaction(List.of());
    }

    /** Masks the passwords of {@code url} and {@code options} (either may be null). */
    static Redaction of(String url, Map<String, String> options) {
        List<String> secrets = new ArrayList<>();
        if (url != null) {
            int scheme = url.indexOf("://");
            if (scheme >= 0) {
                int end = scheme + 3;
                while (end < url.length() && "/?#".indexOf(url.charAt(end)) < 0) end++;
                int at = url.lastIndexOf('@', end - 1);
                if (at > scheme) {
                    String userInfo = url.substring(scheme + 3, at);
                    int colon = userInfo.indexOf(':');
                    if (colon >= 0) add(secrets, userInfo.substring(colon + 1));
                }
            }
            int query = url.indexOf('?');
            if (query >= 0) {
                for (String pair : url.substring(query + 1).split("[&;]")) {
                    int eq = pair.indexOf('=');
                    if (eq > 0 && isPasswordKey(pair.substring(0, eq))) add(secrets, pair.substring(eq + 1));
                }
            }
        }
        if (options != null) {
            options.forEach((k, v) -> {
                if (k != null && isPasswordKey(k)) add(secrets, v);
            });
        }
        secrets.sort(Comparator.comparingInt(String::length).reversed()); // longest first: no partial masks
        return new Redaction(List.copyOf(secrets));
    }

    private static boolean isPasswordKey(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.equals("password") || k.equals("pass") || k.equals("pwd");
    }

    private static void add(List<String> secrets, String raw) {
        if (raw == null || raw.isEmpty()) return;
        secrets.add(raw);
        try {
            String decoded = URLDecoder.decode(raw, StandardCharsets.UTF_8);
            if (!decoded.equals(raw) && !decoded.isEmpty()) secrets.add(decoded);
        } catch (IllegalArgumentException malformed) {
            // the raw form is masked
        }
    }

    /** {@code text} with every known secret and credential shape masked; null stays null. */
    String mask(String text) {
        if (text == null) return null;
        String out = text;
        for (String s : secrets) out = out.replace(s, MASK);
        out = USER_INFO_PASSWORD.matcher(out).replaceAll("$1" + MASK + "@");
        return PASSWORD_OPTION.matcher(out).replaceAll("$1" + MASK);
    }
}
