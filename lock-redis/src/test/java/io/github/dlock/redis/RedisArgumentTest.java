package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.ArgumentConformance;

class RedisArgumentTest extends ArgumentConformance {
    @Override
    protected ConformanceBackend backend() {
        return RedisBackend.single();
    }
}
