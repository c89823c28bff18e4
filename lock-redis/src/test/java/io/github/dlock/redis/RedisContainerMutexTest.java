package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.MutexConformance;

/**
 * The mutex conformance suite on a Redis container ({@code $DLOCK_REDIS_IMAGE}, default the
 * public {@code redis} image), whatever else is available: keeps the Testcontainers fallback of
 * {@link io.github.dlock.testkit.TestServers} exercised. Fails, like every test, when its server
 * (here: Docker) is missing.
 */
class RedisContainerMutexTest extends MutexConformance {
    @Override
    protected ConformanceBackend backend() {
        return RedisBackend.container();
    }
}
