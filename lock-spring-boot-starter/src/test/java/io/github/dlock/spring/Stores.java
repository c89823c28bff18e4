package io.github.dlock.spring;

import java.nio.file.Path;
import java.util.UUID;

/**
 * The real stores the tests run against: the file backend in a directory of the test's, the
 * loopback Redis ({@code $DLOCK_REDIS_URL}) and PostgreSQL ({@code $DLOCK_POSTGRES_URL}), each with
 * a prefix of its own so nothing collides with other tests or runs.
 */
final class Stores {
    private Stores() {}

    static String file(Path dir) {
        return dir.toUri().toString();
    }

    static String redis() {
        String env = System.getenv("DLOCK_REDIS_URL");
        String base = env != null && !env.isBlank() ? env : "redis://127.0.0.1:6379";
        return base + (base.contains("?") ? "&" : "?") + "prefix=" + unique("dlockspring") + "&lease=5s";
    }

    static String postgres() {
        String env = System.getenv("DLOCK_POSTGRES_URL");
        String base = env != null && !env.isBlank() ? env : "postgresql://postgres@127.0.0.1:5432/test";
        return base + (base.contains("?") ? "&" : "?") + "prefix=" + unique("dlockspring") + "&keepAlive=1s&poolSize=8";
    }

    static String unique(String what) {
        return what + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
