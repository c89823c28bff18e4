package io.github.dlock.internal;

import io.github.dlock.LockProvider;
import io.github.dlock.spi.LockProviderFactory;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Finds the {@link LockProviderFactory} for a URL's scheme and merges its query into options. */
public final class ProviderLoader {
    private ProviderLoader() {}

    public static LockProvider open(String url, Map<String, String> options) {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(options, "options");
        if (url.isBlank()) throw new IllegalArgumentException("url must not be blank");
        String scheme = schemeOf(url);
        URI uri = parse(url.regionMatches(true, 0, "jdbc:", 0, 5) ? url.substring(5) : url);
        Map<String, LockProviderFactory> factories = factories();
        LockProviderFactory factory = factories.get(scheme);
        if (factory == null) {
            throw new IllegalArgumentException("no lock backend for scheme '" + scheme + "' in url " + Arguments.redactUrl(url)
                    + "; schemes on the class path: " + factories.keySet());
        }
        return factory.create(uri, mergeOptions(uri, options, url));
    }

    /** The scheme, lower case; {@code jdbc:postgresql} for JDBC URLs. */
    static String schemeOf(String url) {
        int colon = url.indexOf(':');
        if (colon <= 0) throw new IllegalArgumentException("url has no scheme: " + Arguments.redactUrl(url));
        String scheme = url.substring(0, colon).toLowerCase(Locale.ROOT);
        if (scheme.equals("jdbc")) {
            int second = url.indexOf(':', colon + 1);
            if (second < 0) throw new IllegalArgumentException("url has no scheme after jdbc: " + Arguments.redactUrl(url));
            scheme = url.substring(0, second).toLowerCase(Locale.ROOT);
        }
        return scheme;
    }

    private static URI parse(String url) {
        try {
            return new URI(url);
        } catch (URISyntaxException e) {
            // no cause: its message repeats the url as given, password included
            throw new IllegalArgumentException("malformed url " + Arguments.redactUrl(url) + ": " + e.getReason() + " at index " + e.getIndex());
        }
    }

    private static Map<String, String> mergeOptions(URI uri, Map<String, String> explicit, String url) {
        Map<String, String> merged = new LinkedHashMap<>();
        String query = uri.getRawQuery();
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) continue;
                int eq = pair.indexOf('=');
                String key = decode(eq < 0 ? pair : pair.substring(0, eq), url);
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1), url);
                if (merged.put(key, value) != null) {
                    throw new IllegalArgumentException("option '" + key + "' is given twice in url " + Arguments.redactUrl(url));
                }
            }
        }
        for (Map.Entry<String, String> e : explicit.entrySet()) {
            String key = Objects.requireNonNull(e.getKey(), "option name");
            Objects.requireNonNull(e.getValue(), "option " + key);
            if (merged.put(key, e.getValue()) != null) {
                throw new IllegalArgumentException("option '" + key + "' is given both in the url and in options");
            }
        }
        return merged;
    }

    private static String decode(String s, String url) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed query in url " + Arguments.redactUrl(url) + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, LockProviderFactory> factories() {
        Map<String, LockProviderFactory> byScheme = new TreeMap<>();
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        for (ClassLoader loader : new ClassLoader[] {context, ProviderLoader.class.getClassLoader()}) {
            if (loader == null) continue;
            for (LockProviderFactory f : ServiceLoader.load(LockProviderFactory.class, loader)) {
                for (String s : f.schemes()) byScheme.putIfAbsent(s.toLowerCase(Locale.ROOT), f);
            }
        }
        return byScheme;
    }
}
