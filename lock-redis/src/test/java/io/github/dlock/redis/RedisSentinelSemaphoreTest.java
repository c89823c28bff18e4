package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.SemaphoreConformance;

/** The semaphore kit on a Redis Sentinel of the tests' own (see {@link io.github.dlock.testkit.RedisTopologies}). */
class RedisSentinelSemaphoreTest extends SemaphoreConformance {
    @Override
    protected ConformanceBackend backend() {
        return RedisBackend.sentinel();
    }
}
