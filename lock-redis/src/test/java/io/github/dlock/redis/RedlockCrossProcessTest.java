package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.CrossProcessConformance;

class RedlockCrossProcessTest extends CrossProcessConformance {
    @Override
    protected ConformanceBackend backend() {
        return RedisBackend.redlock();
    }
}
