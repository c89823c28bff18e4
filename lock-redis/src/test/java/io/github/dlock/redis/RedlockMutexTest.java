package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.MutexConformance;

class RedlockMutexTest extends MutexConformance {
    @Override
    protected ConformanceBackend backend() {
        return RedisBackend.redlock();
    }

}
