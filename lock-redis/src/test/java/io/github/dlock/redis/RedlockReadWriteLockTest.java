package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.ReadWriteLockConformance;

class RedlockReadWriteLockTest extends ReadWriteLockConformance {
    @Override
    protected ConformanceBackend backend() {
        return RedisBackend.redlock();
    }
}
