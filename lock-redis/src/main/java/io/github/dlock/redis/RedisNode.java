package io.github.dlock.redis;

import io.github.dlock.LockBackendException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * One Redis server: a connection pool and script calls on it. Scripts run with EVALSHA; a
 * server that forgot them (restart, SCRIPT FLUSH) gets them loaded again transparently.
 * Counts round trips so tests and benchmarks can show how renewal scales.
 */
final class RedisNode implements AutoCloseable {
    private final HostAndPort address;
    private final JedisClientConfig config;
    private final JedisPool pool;
    private final AtomicLong roundTrips = new AtomicLong();

    RedisNode(HostAndPort address, JedisClientConfig config, int poolSize) {
        this.address = address;
        this.config = config;
        GenericObjectPoolConfig<Jedis> poolConfig = new GenericObjectPoolConfig<>();
        poolConfig.setMaxTotal(poolSize);
        poolConfig.setMaxIdle(poolSize);
        poolConfig.setMinIdle(0);
        poolConfig.setJmxEnabled(false);
        poolConfig.setTestWhileIdle(false);
        this.pool = new JedisPool(poolConfig, address, config);
    }

    /** Runs {@code script}; after it, if {@code replicas > 0} and {@code confirm} accepts the reply, WAITs for them. */
    Object eval(RedisScripts script, List<byte[]> keys, List<byte[]> args) {
        try (Jedis jedis = pool.getResource()) {
            return evalOn(jedis, script, keys, args);
        } catch (JedisException e) {
            throw failure(e);
        }
    }

    /**
     * Runs {@code script} and then {@code WAIT replicas timeoutMs} on the same connection.
     *
     * @return the script's reply and how many replicas confirmed
     */
    Object[] evalAndWait(RedisScripts script, List<byte[]> keys, List<byte[]> args, int replicas, long timeoutMs) {
        try (Jedis jedis = pool.getResource()) {
            Object reply = evalOn(jedis, script, keys, args);
            roundTrips.incrementAndGet();
            long confirmed = jedis.waitReplicas(replicas, timeoutMs);
            return new Object[] {reply, confirmed};
        } catch (JedisException e) {
            throw failure(e);
        }
    }

    private Object evalOn(Jedis jedis, RedisScripts script, List<byte[]> keys, List<byte[]> args) {
        roundTrips.incrementAndGet();
        try {
            return jedis.evalsha(script.sha, keys, args);
        } catch (JedisNoScriptException e) {
            roundTrips.incrementAndGet();
            jedis.scriptLoad(script.text);
            roundTrips.incrementAndGet();
            return jedis.evalsha(script.sha, keys, args);
        }
    }

    /** One script call of a batch. */
    record Call(RedisScripts script, List<byte[]> keys, List<byte[]> args) {}

    /**
     * Runs all {@code calls} in one pipeline (one round trip). Each result is the reply or the
     * {@link JedisDataException} of that call.
     */
    List<Object> evalBatch(List<Call> calls) {
        try (Jedis jedis = pool.getResource()) {
            List<Object> replies = pipeline(jedis, calls);
            if (replies.stream().anyMatch(r -> r instanceof JedisNoScriptException)) {
                for (RedisScripts s : RedisScripts.values()) jedis.scriptLoad(s.text);
                roundTrips.addAndGet(RedisScripts.values().length);
                replies = pipeline(jedis, calls);
            }
            return replies;
        } catch (JedisException e) {
            throw failure(e);
        }
    }

    private List<Object> pipeline(Jedis jedis, List<Call> calls) {
        Pipeline pipeline = jedis.pipelined();
        List<Response<Object>> responses = new ArrayList<>(calls.size());
        for (Call c : calls) responses.add(pipeline.evalsha(c.script().sha, c.keys(), c.args()));
        pipeline.sync();
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
        pool.close();
    }

    @Override
    public String toString() {
        return address.toString();
    }
}
