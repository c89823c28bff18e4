package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.ArgumentConformance;

class RedlockArgumentTest extends ArgumentConformance {
    @Override
    protected ConformanceBackend backend() {
        return RedisBackend.redlock();
    }
}
