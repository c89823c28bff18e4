package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.NameFuzzConformance;

class RedlockNameFuzzTest extends NameFuzzConformance {
    @Override
    protected ConformanceBackend backend() {
        return RedisBackend.redlock();
    }
}
