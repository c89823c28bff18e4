package io.github.dlock.spring;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration under {@code dlock.*}: the store's URL and options, the defaults of
 * {@link Locked} methods and the health probe.
 */
@ConfigurationProperties(prefix = "dlock")
public class DlockProperties {
    private static final Pattern OPTION_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*");

    /**
     * The lock store's URL, as for {@code LockProvider.open(url)}: {@code file:///var/lock/app},
     * {@code redis://host:6379}, {@code postgresql://host:5432/db}. A {@code LockProvider} bean is
     * created only when it is set.
     */
    private String url;

    /**
     * Options added to the URL's query options ({@code dlock.options.prefix=app}); kebab-case
     * names are turned into the backend's camelCase ({@code pool-size} is {@code poolSize}). An
     * option also given in the URL is rejected.
     */
    private Map<String, String> options = new LinkedHashMap<>();

    private final LockedMethods locked = new LockedMethods();

    private final Health health = new Health();

    /** @return the store's URL, or null if not set */
    public String getUrl() {
        return url;
    }

    /** @param url the store's URL */
    public void setUrl(String url) {
        this.url = url;
    }

    /** @return the extra options, as configured */
    public Map<String, String> getOptions() {
        return options;
    }

    /** @param options the extra options; null means none */
    public void setOptions(Map<String, String> options) {
        this.options = options == null ? new LinkedHashMap<>() : options;
    }

    /** @return the defaults of {@link Locked} methods */
    public LockedMethods getLocked() {
        return locked;
    }

    /** @return the health probe's settings */
    public Health getHealth() {
        return health;
    }

    /**
     * The options to open the provider with: each name checked (letters, digits and single
     * inner dashes, starting with a letter) and kebab-case turned into camelCase.
     *
     * @return the options, in configuration order
     * @throws IllegalArgumentException naming the option if a name is malformed, two names
     *     mean the same option, or a value is missing
     */
    public Map<String, String> providerOptions() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : options.entrySet()) {
            String key = e.getKey();
            if (key == null || !OPTION_NAME.matcher(key).matches()) {
                throw new IllegalArgumentException("dlock.options: malformed option name '" + key
                        + "'; use letters and digits, e.g. dlock.options.prefix or dlock.options.pool-size");
            }
            if (e.getValue() == null) {
                throw new IllegalArgumentException("dlock.options." + key + " has no value");
            }
            String name = camelCase(key);
            if (out.put(name, e.getValue()) != null) {
                throw new IllegalArgumentException("dlock.options: option '" + name + "' is given twice (as '" + key + "' and another spelling)");
            }
        }
        return out;
    }

    private static String camelCase(String key) {
        StringBuilder b = new StringBuilder(key.length());
        boolean upper = false;
        for (char c : key.toCharArray()) {
            if (c == '-') {
                upper = true;
            } else {
                b.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return b.toString();
    }

    /** What to do when a {@link Locked} method does not get its lock. */
    public enum OnConflict {
        /** Throw {@link io.github.dlock.LockTimeoutException}; the method does not run. */
        FAIL,
        /** Return {@code null} ({@code Optional.empty()} for an {@code Optional} return type) without running the method. */
        SKIP
    }

    /** Settings of {@link Locked} methods ({@code dlock.locked.*}). */
    public static class LockedMethods {
        /** What a {@code @Locked} method does when it does not get its lock: fail (throw LockTimeoutException) or skip (return null or Optional.empty()). */
        private OnConflict onConflict = OnConflict.FAIL;

        /** How long a {@code @Locked} method without a timeout waits for its lock. */
        private Duration defaultTimeout = Duration.ofSeconds(30);

        /** @return what happens on conflict */
        public OnConflict getOnConflict() {
            return onConflict;
        }

        /**
         * @param onConflict what happens on conflict
         * @throws NullPointerException if {@code onConflict} is null
         */
        public void setOnConflict(OnConflict onConflict) {
            this.onConflict = Objects.requireNonNull(onConflict, "dlock.locked.on-conflict");
        }

        /** @return the wait of methods that give no timeout */
        public Duration getDefaultTimeout() {
            return defaultTimeout;
        }

        /**
         * @param defaultTimeout the wait of methods that give no timeout
         * @throws NullPointerException if {@code defaultTimeout} is null
         * @throws IllegalArgumentException if it is negative
         */
        public void setDefaultTimeout(Duration defaultTimeout) {
            Objects.requireNonNull(defaultTimeout, "dlock.locked.default-timeout");
            if (defaultTimeout.isNegative()) throw new IllegalArgumentException("dlock.locked.default-timeout must not be negative: " + defaultTimeout);
            this.defaultTimeout = defaultTimeout;
        }
    }

    /** Settings of the health indicator ({@code dlock.health.*}). */
    public static class Health {
        /** How long a health check waits for the store's answer before reporting DOWN. */
        private Duration timeout = Duration.ofSeconds(5);

        /** @return how long a check waits */
        public Duration getTimeout() {
            return timeout;
        }

        /**
         * @param timeout how long a check waits
         * @throws NullPointerException if {@code timeout} is null
         * @throws IllegalArgumentException if it is not positive, or longer than a day
         */
        public void setTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "dlock.health.timeout");
            if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("dlock.health.timeout must be positive: " + timeout);
            if (timeout.compareTo(DlockHealthIndicator.MAX_TIMEOUT) > 0) {
                throw new IllegalArgumentException("dlock.health.timeout must be at most " + DlockHealthIndicator.MAX_TIMEOUT + ": " + timeout);
            }
            this.timeout = timeout;
        }
    }
}
