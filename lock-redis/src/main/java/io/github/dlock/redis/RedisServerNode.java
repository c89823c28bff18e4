package io.github.dlock.redis;

import io.github.dlock.LockBackendException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisSentinelClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * One Redis server: a pooled client and script calls on it. The server is a fixed address
 * (dlock's own pool, or a caller's client) or the current master of a Sentinel set, which
 * the client follows across failovers ({@code +switch-master}). Scripts run with EVALSHA; all
 * of them are loaded in one round trip on first use, and again if the server forgot them
 * (restart, SCRIPT FLUSH, a failover to a replica that never loaded them).
 * Counts round trips so tests and benchmarks can show how renewal scales.
 */
final class RedisServerNode extends RedisNode {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RedisServerNode.class);
    private static final byte[] ANY_KEY = {'x'};

    private final HostAndPort address; // the master when this node was built, for a Sentinel set
    private final String label; // how messages name the server
    private final JedisClientConfig config; // null for a caller's client
    private final UnifiedJedis client;
    private final RedisSentinelClient sentinel; // non-null for a Sentinel set
    private final boolean owned; // dlock built the client (and closes it)
    private final AtomicLong roundTrips = new AtomicLong();
    private volatile boolean scriptsLoaded;
    /** Whether the server takes script flags (Redis 7+); found out on the first load. */
    private volatile boolean flagged = true;

    RedisServerNode(HostAndPort address, JedisClientConfig config, int poolSize) {
        this.address = address;
        this.label = address.toString();
        this.config = config;
        this.client = RedisClient.builder().hostAndPort(address).clientConfig(config).poolConfig(poolConfig(config, poolSize)).build();
        this.sentinel = null;
        this.owned = true;
    }

    /**
     * The master that the sentinels call {@code masterName}, followed across failovers.
     *
     * @throws LockBackendException if no sentinel could name the master
     */
    RedisServerNode(String masterName, Set<HostAndPort> sentinels, JedisClientConfig config, JedisClientConfig sentinelConfig, int poolSize) {
        this.config = config;
        this.owned = true;
        try {
            this.sentinel = RedisSentinelClient.builder().masterName(masterName).sentinels(sentinels).sentinelClientConfig(sentinelConfig)
                    .clientConfig(config).poolConfig(poolConfig(config, poolSize)).build();
        } catch (JedisException e) {
            throw new LockBackendException("no Redis sentinel of " + sentinels + " named the master '" + masterName + "': " + e.getMessage(), e);
        }
        this.client = sentinel;
        this.address = sentinel.getCurrentMaster();
        this.label = "master '" + masterName + "'";
    }

    /** A pool of {@code poolSize} connections, fair, whose borrowers wait at most one socket timeout. */
    static GenericObjectPoolConfig<Connection> poolConfig(JedisClientConfig config, int poolSize) {
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(poolSize);
        pool.setMaxIdle(poolSize);
        pool.setMinIdle(0);
        pool.setJmxEnabled(false);
        pool.setFairness(true); // borrowers in arrival order: none waits out the timeout while later ones are served
        pool.setMaxWait(java.time.Duration.ofMillis(Math.max(1, config.getSocketTimeoutMillis()))); // never queue for a connection longer than a call may take
        return pool;
    }

    /**
     * A node on a caller's client, which dlock never closes: its pool, credentials, TLS,
     * timeouts and protocol apply (RESP2 or RESP3: the scripts reply with integers, strings and
     * arrays only, which read the same in both). Borrows one connection at once to learn the
     * server's address.
     *
     * @throws LockBackendException if no connection can be had
     */
    RedisServerNode(RedisClient callers) {
        this.config = null;
        this.client = callers;
        this.sentinel = null;
        this.owned = false;
        Connection probe;
        try {
            probe = callers.getPool().getResource();
        } catch (JedisException e) {
            throw new LockBackendException("cannot connect through the given Redis client: " + e.getMessage(), e);
        }
        try {
            this.address = probe.getHostAndPort();
        } finally {
            probe.close(); // back to the caller's pool
        }
        this.label = address.toString();
    }

    @Override
    Object eval(RedisScripts script, List<byte[]> keys, List<byte[]> args) {
        try {
            try {
                return evalOnce(script, keys, args);
            } catch (JedisConnectionException e) {
                if (!dropped(e) || !script.repeatable()) throw e;
                return evalOnce(script, keys, args);
            }
        } catch (JedisException e) {
            throw failure(e);
        }
    }

    private Object evalOnce(RedisScripts script, List<byte[]> keys, List<byte[]> args) {
        loadScriptsOnFirstUse();
        roundTrips.incrementAndGet();
        try {
            return client.evalsha(sha(script), keys, args);
        } catch (JedisNoScriptException e) {
            loadScripts();
            roundTrips.incrementAndGet();
            return client.evalsha(sha(script), keys, args);
        }
    }

    /**
     * Handles a connection failure: the pool's idle connections are closed (after a server
     * restart or a dropped link they are most likely dead too, and would fail the next calls
     * one by one). Returns whether the connection was dropped (closed or reset by the peer,
     * refused) rather than timed out: only then is one more try on a fresh connection cheap.
     */
    private boolean dropped(JedisConnectionException e) {
        if (sentinel != null) sentinel.getPrimaryNodesConnectionMap().values().forEach(redis.clients.jedis.util.Pool::clear);
        else ((RedisClient) client).getPool().clear();
        return !timedOut(e);
    }

    @Override
    Object[] evalAndWait(RedisScripts script, List<byte[]> keys, List<byte[]> args, int replicas, long timeoutMs) {
        try {
            loadScriptsOnFirstUse();
            for (int attempt = 0; ; attempt++) {
                try (AbstractPipeline pipeline = client.pipelined()) {
                    Response<Object> reply = pipeline.evalsha(sha(script), keys, args);
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
        } catch (JedisConnectionException e) {
            dropped(e); // not repeated: the script may have run
            throw failure(e);
        } catch (JedisException e) {
            throw failure(e);
        }
    }

    private void loadScriptsOnFirstUse() {
        if (!scriptsLoaded) loadScripts();
    }

    private byte[] sha(RedisScripts script) {
        return flagged ? script.flaggedSha : script.sha;
    }

    /**
     * Loads every script in one pipelined round trip (first use, or after the server forgot
     * them): the flagged variants, or, if the server rejects their {@code #!lua} line (before
     * Redis 7), the plain ones, which cannot keep renewals going while out of memory.
     */
    private void loadScripts() {
        if (flagged && !load(true)) {
            flagged = false;
            LOG.warn("Redis {} does not take script flags (before 7.0): under maxmemory with noeviction, renewals of read locks "
                    + "and semaphore permits will fail", label);
        }
        if (!flagged && !load(false)) throw new LockBackendException("Redis " + label + " refused to load the dlock scripts");
        scriptsLoaded = true;
    }

    private boolean load(boolean withFlags) {
        try (AbstractPipeline pipeline = client.pipelined()) {
            roundTrips.incrementAndGet();
            return loadAll(pipeline, s -> withFlags ? s.flaggedText : s.text, ANY_KEY);
        }
    }

    @Override
    List<Object> evalBatch(List<Call> calls, int replicas, long replicaTimeoutMs) {
        try {
            try {
                return evalBatchOnce(calls, replicas, replicaTimeoutMs);
            } catch (JedisConnectionException e) {
                if (!dropped(e) || !calls.stream().allMatch(c -> c.script().repeatable())) throw e;
                return evalBatchOnce(calls, replicas, replicaTimeoutMs);
            }
        } catch (JedisException e) {
            throw failure(e);
        }
    }

    private List<Object> evalBatchOnce(List<Call> calls, int replicas, long replicaTimeoutMs) {
        loadScriptsOnFirstUse();
        List<Object> replies = pipeline(calls, replicas, replicaTimeoutMs);
        if (replies.stream().anyMatch(r -> r instanceof JedisNoScriptException)) {
            loadScripts();
            replies = pipeline(calls, replicas, replicaTimeoutMs);
        }
        return replies;
    }

    private List<Object> pipeline(List<Call> calls, int replicas, long replicaTimeoutMs) {
        List<Response<Object>> responses = new ArrayList<>(calls.size());
        Response<Long> confirmed = null;
        try (AbstractPipeline pipeline = client.pipelined()) {
            for (Call c : calls) responses.add(pipeline.evalsha(sha(c.script()), c.keys(), c.args()));
            if (replicas > 0 && !calls.isEmpty()) confirmed = pipeline.waitReplicas(calls.get(0).keys().get(0), replicas, replicaTimeoutMs);
            pipeline.sync();
        }
        roundTrips.incrementAndGet();
        if (confirmed != null && confirmed.get() < replicas) {
            throw new LockBackendException("only " + confirmed.get() + " of " + replicas + " required replicas of Redis " + label
                    + " confirmed within " + replicaTimeoutMs + " ms");
        }
        return replies(responses);
    }

    /** Each response's reply, or its {@link JedisDataException}. */
    static List<Object> replies(List<Response<Object>> responses) {
        List<Object> replies = new ArrayList<>(responses.size());
        for (Response<Object> r : responses) {
            try {
                replies.add(r.get());
            } catch (JedisDataException e) {
                replies.add(e);
            }
        }
        return replies;
    }

    @Override
    String evictionRisk() {
        try {
            return evictionRisk(label, client.info("memory"));
        } catch (JedisException e) {
            throw failure(e);
        }
    }

    /**
     * A new connection for the subscriber, outside any pool, to the server (for a Sentinel
     * set: to the master the sentinels name now): on a caller's client it is made by that
     * client's own connection factory (its credentials, TLS, database and protocol apply) but
     * never counts against its pool, so waiting never takes a connection the caller's code,
     * or a holder's release, needs. The caller closes it.
     *
     * @throws JedisConnectionException if it cannot be opened
     */
    Jedis newConnection() {
        if (sentinel != null) return new Jedis(sentinel.getCurrentMaster(), config);
        if (owned) return new Jedis(address, config);
        try {
            return new Jedis(((RedisClient) client).getPool().getFactory().makeObject().getObject());
        } catch (JedisException e) {
            throw e;
        } catch (Exception e) {
            throw new JedisConnectionException("cannot open a subscriber connection to " + address + ": " + e.getMessage(), e);
        }
    }

    /**
     * For a Sentinel set, the master the sentinels named last (known without a call: Jedis
     * follows {@code +switch-master}); null for a server that is always the same.
     */
    HostAndPort currentMaster() {
        return sentinel != null ? sentinel.getCurrentMaster() : null;
    }

    @Override
    long roundTrips() {
        return roundTrips.get();
    }

    @Override
    HostAndPort address() {
        return address;
    }

    private LockBackendException failure(JedisException e) {
        return failure(label, e);
    }

    @Override
    public void close() {
        if (owned) client.close();
    }

    @Override
    public String toString() {
        return label;
    }
}
