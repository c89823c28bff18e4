package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.SemaphoreConformance;

class RedisSemaphoreTest extends SemaphoreConformance {
    @Override
    protected ConformanceBackend backend() {
        return RedisBackend.single();
    }
}
