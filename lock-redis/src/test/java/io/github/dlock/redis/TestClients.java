package io.github.dlock.redis;

import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisProtocol;

/** Client settings for the tests' own Redis connections. */
final class TestClients {
    static final JedisClientConfig CONFIG = DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP2).build();

    private TestClients() {}
}
