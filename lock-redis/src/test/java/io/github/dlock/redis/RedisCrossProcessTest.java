package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.CrossProcessConformance;

class RedisCrossProcessTest extends CrossProcessConformance {
    @Override
    protected ConformanceBackend backend() {
        return RedisBackend.single();
    }
}
