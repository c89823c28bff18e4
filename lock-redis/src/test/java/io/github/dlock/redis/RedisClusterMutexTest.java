package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.MutexConformance;

/** The mutex kit on a Redis Cluster of the tests' own (see {@link io.github.dlock.testkit.RedisTopologies}). */
class RedisClusterMutexTest extends MutexConformance {
    @Override
    protected ConformanceBackend backend() {
        return RedisBackend.cluster();
    }
}
