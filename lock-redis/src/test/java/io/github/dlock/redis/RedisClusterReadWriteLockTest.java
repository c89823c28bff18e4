package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.ReadWriteLockConformance;

/** The readwritelock kit on a Redis Cluster of the tests' own (see {@link io.github.dlock.testkit.RedisTopologies}). */
class RedisClusterReadWriteLockTest extends ReadWriteLockConformance {
    @Override
    protected ConformanceBackend backend() {
        return RedisBackend.cluster();
    }
}
