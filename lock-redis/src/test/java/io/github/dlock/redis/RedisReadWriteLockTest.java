package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.ReadWriteLockConformance;

class RedisReadWriteLockTest extends ReadWriteLockConformance {
    @Override
    protected ConformanceBackend backend() {
        return RedisBackend.single();
    }
}
