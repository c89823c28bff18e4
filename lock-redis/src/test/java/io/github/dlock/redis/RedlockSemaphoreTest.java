package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.SemaphoreConformance;

class RedlockSemaphoreTest extends SemaphoreConformance {
    @Override
    protected ConformanceBackend backend() {
        return RedisBackend.redlock();
    }
}
