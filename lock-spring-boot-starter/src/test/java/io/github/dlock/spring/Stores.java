package io.github.dlock.spring;

import java.nio.file.Path;
import java.util.UUID;

/**
 * The real stores the tests run against: the file backend in a directory of the test's, the
 * Redis and PostgreSQL that {@link io.github.dlock.testkit.TestServers} resolves, each with
 * a prefix of its own so nothing collides with other tests or runs.
 */
final class Stores {
    private Stores() {}

    static String file(Path dir) {
        return dir.toUri().toString();
    }

    static String redis() {
        String base = io.github.dlock.testkit.TestServers.redisUrl();
        return base + (base.contains("?") ? "&" : "?") + "prefix=" + unique("dlockspring") + "&lease=5s";
    }

    static String postgres() {
        String base = io.github.dlock.testkit.TestServers.postgresUrl();
        return base + (base.contains("?") ? "&" : "?") + "prefix=" + unique("dlockspring") + "&keepAlive=1s&poolSize=8";
    }

    static String unique(String what) {
        return what + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
