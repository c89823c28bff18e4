package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.NameFuzzConformance;

class RedisNameFuzzTest extends NameFuzzConformance {
    @Override
    protected ConformanceBackend backend() {
        return RedisBackend.single();
    }
}
