package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.SemaphoreConformance;

/** The SemaphoreConformance kit on a provider built on the caller's own Jedis client. */
class RedisClientSemaphoreTest extends SemaphoreConformance {
    @Override
    protected ConformanceBackend backend() {
        return new RedisClientBackend();
    }
}
