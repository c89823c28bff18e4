package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.MutexConformance;

/** The MutexConformance kit on a provider built on the caller's own Jedis client. */
class RedisClientMutexTest extends MutexConformance {
    @Override
    protected ConformanceBackend backend() {
        return new RedisClientBackend();
    }
}
