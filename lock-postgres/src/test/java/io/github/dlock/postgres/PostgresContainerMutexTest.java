package io.github.dlock.postgres;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.MutexConformance;

/**
 * The mutex conformance suite on a PostgreSQL container ({@code $DLOCK_POSTGRES_IMAGE}, default
 * the public {@code postgres} image), whatever else is available: keeps the Testcontainers
 * fallback of {@link io.github.dlock.testkit.TestServers} exercised. Fails, like every test,
 * when its server (here: Docker) is missing.
 */
class PostgresContainerMutexTest extends MutexConformance {
    @Override
    protected ConformanceBackend backend() {
        return PostgresBackend.container();
    }
}
