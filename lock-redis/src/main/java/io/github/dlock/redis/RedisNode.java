package io.github.dlock.redis;

import io.github.dlock.LockBackendException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * One Redis server: a pooled client and script calls on it. Scripts run with EVALSHA; all of
 * them are loaded in one round trip on first use, and again if the server forgot them
 * (restart, SCRIPT FLUSH).
 * Counts round trips so tests and benchmarks can show how renewal scales.
 */
final class RedisNode implements AutoCloseable {
    private static final byte[] ANY_KEY = {'x'};

    private final HostAndPort address;
    private final JedisClientConfig config;
    private final RedisClient client;
    private final AtomicLong roundTrips = new AtomicLong();
    private volatile boolean scriptsLoaded;

    RedisNode(HostAndPort address, JedisClientConfig config, int poolSize) {
        this.address = address;
        this.config = config;
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(poolSize);
        pool.setMaxIdle(poolSize);
        pool.setMinIdle(0);
        pool.setJmxEnabled(false);
        this.client = RedisClient.builder().hostAndPort(address).clientConfig(config).poolConfig(pool).build();
    }

    /** Runs {@code script} and returns its reply. */
    Object eval(RedisScripts script, List<byte[]> keys, List<byte[]> args) {
        try {
            loadScriptsOnFirstUse();
            roundTrips.incrementAndGet();
            try {
                return client.evalsha(script.sha, keys, args);
            } catch (JedisNoScriptException e) {
                loadScripts();
                roundTrips.incrementAndGet();
                return client.evalsha(script.sha, keys, args);
            }
        } catch (JedisException e) {
            throw failure(e);
        }
    }

    /**
     * Runs {@code script} and then {@code WAIT replicas timeoutMs} on the same connection, in
     * one round trip (WAIT only counts the writes of the connection that issues it).
     *
     * @return the script's reply and how many replicas confirmed
     */
    Object[] evalAndWait(RedisScripts script, List<byte[]> keys, List<byte[]> args, int replicas, long timeoutMs) {
        try {
            loadScriptsOnFirstUse();
            for (int attempt = 0; ; attempt++) {
                try (AbstractPipeline pipeline = client.pipelined()) {
                    Response<Object> reply = pipeline.evalsha(script.sha, keys, args);
                    Response<Long> confirmed = pipeline.waitReplicas(keys.get(0), replicas, timeoutMs); // same connection as the script
                    pipeline.sync();
                    roundTrips.incrementAndGet();
                    try {
                        return new Object[] {reply.get(), confirmed.get()};
                    } catch (JedisNoScriptException e) {
                        if (attempt > 0) throw e;
                        loadScripts();
                    }
                }
            }
        } catch (JedisException e) {
            throw failure(e);
        }
    }

    private void loadScriptsOnFirstUse() {
        if (!scriptsLoaded) loadScripts();
    }

    /** Loads every script in one pipelined round trip (first use, or after the server forgot them). */
    private void loadScripts() {
        try (AbstractPipeline pipeline = client.pipelined()) {
            for (RedisScripts script : RedisScripts.values()) pipeline.scriptLoad(script.text, ANY_KEY);
            pipeline.sync();
        }
        roundTrips.incrementAndGet();
        scriptsLoaded = true;
    }

    /** One script call of a batch. */
    record Call(RedisScripts script, List<byte[]> keys, List<byte[]> args) {}

    /**
     * Runs all {@code calls} in one pipeline (one round trip). Each result is the reply or the
     * {@link JedisDataException} of that call.
     */
    List<Object> evalBatch(List<Call> calls) {
        try {
            loadScriptsOnFirstUse();
            List<Object> replies = pipeline(calls);
            if (replies.stream().anyMatch(r -> r instanceof JedisNoScriptException)) {
                loadScripts();
                replies = pipeline(calls);
            }
            return replies;
        } catch (JedisException e) {
            throw failure(e);
        }
    }

    private List<Object> pipeline(List<Call> calls) {
        List<Response<Object>> responses = new ArrayList<>(calls.size());
        try (AbstractPipeline pipeline = client.pipelined()) {
            for (Call c : calls) responses.add(pipeline.evalsha(c.script().sha, c.keys(), c.args()));
            pipeline.sync();
        }
        roundTrips.incrementAndGet();
        List<Object> replies = new ArrayList<>(calls.size());
        for (Response<Object> r : responses) {
            try {
                replies.add(r.get());
            } catch (JedisDataException e) {
                replies.add(e);
            }
        }
        return replies;
    }

    /** A new connection outside the pool, for the subscriber. */
    Jedis newConnection() {
        return new Jedis(address, config);
    }

    long roundTrips() {
        return roundTrips.get();
    }

    HostAndPort address() {
        return address;
    }

    private LockBackendException failure(JedisException e) {
        if (e instanceof JedisConnectionException) {
            return new LockBackendException("Redis " + address + " is unreachable: " + e.getMessage(), e);
        }
        return new LockBackendException("Redis " + address + " failed: " + e.getMessage(), e);
    }

    @Override
    public void close() {
        client.close();
    }

    @Override
    public String toString() {
        return address.toString();
    }
}
