package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.ReadWriteLockConformance;

/** The ReadWriteLockConformance kit on a provider built on the caller's own Jedis client. */
class RedisClientReadWriteLockTest extends ReadWriteLockConformance {
    @Override
    protected ConformanceBackend backend() {
        return new RedisClientBackend();
    }
}
