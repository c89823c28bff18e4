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
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RedisNode.class);
    private static final byte[] ANY_KEY = {'x'};

    private final HostAndPort address;
    private final JedisClientConfig config; // null for a caller's client
    private final RedisClient client;
    private final boolean owned; // dlock built the client (and closes it)
    private final AtomicLong roundTrips = new AtomicLong();
    private volatile boolean scriptsLoaded;
    /** Whether the server takes script flags (Redis 7+); found out on the first load. */
    private volatile boolean flagged = true;

    RedisNode(HostAndPort address, JedisClientConfig config, int poolSize) {
        this.address = address;
        this.config = config;
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(poolSize);
        pool.setMaxIdle(poolSize);
        pool.setMinIdle(0);
        pool.setJmxEnabled(false);
        pool.setFairness(true); // borrowers in arrival order: none waits out the timeout while later ones are served
        pool.setMaxWait(java.time.Duration.ofMillis(Math.max(1, config.getSocketTimeoutMillis()))); // never queue for a connection longer than a call may take
        this.client = RedisClient.builder().hostAndPort(address).clientConfig(config).poolConfig(pool).build();
        this.owned = true;
    }

    /**
     * A node on a caller's client, which dlock never closes: its pool, credentials, TLS,
     * timeouts and protocol apply (RESP2 or RESP3: the scripts reply with integers, strings and
     * arrays only, which read the same in both). Borrows one connection at once to learn the
     * server's address.
     *
     * @throws LockBackendException if no connection can be had
     */
    RedisNode(RedisClient callers) {
        this.config = null;
        this.client = callers;
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
    }

    /**
     * Runs {@code script} and returns its reply. A {@link RedisScripts#repeatable() repeatable}
     * script whose connection turned out dropped (e.g. an idle pooled connection to a server
     * that restarted) is run once more on a fresh connection; any other is not, as it may have
     * run before the connection dropped (see {@link #connectionDropped}).
     */
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
        client.getPool().clear();
        return !timedOut(e);
    }

    /**
     * Whether {@code failure} (thrown by a call on a node) is a dropped connection, after which
     * the call may have run on the server or not; the node's idle connections are gone by
     * then, so a retry gets a fresh one.
     */
    static boolean connectionDropped(RuntimeException failure) {
        return failure instanceof LockBackendException && failure.getCause() instanceof JedisConnectionException && !timedOut(failure.getCause());
    }

    private static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.SocketTimeoutException) return true;
        }
        return false;
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
                    + "and semaphore permits will fail", address);
        }
        if (!flagged && !load(false)) throw new LockBackendException("Redis " + address + " refused to load the dlock scripts");
        scriptsLoaded = true;
    }

    private boolean load(boolean withFlags) {
        List<Response<byte[]>> loaded = new ArrayList<>();
        try (AbstractPipeline pipeline = client.pipelined()) {
            for (RedisScripts script : RedisScripts.values()) loaded.add(pipeline.scriptLoad(withFlags ? script.flaggedText : script.text, ANY_KEY));
            pipeline.sync();
        }
        roundTrips.incrementAndGet();
        try {
            loaded.forEach(Response::get);
            return true;
        } catch (JedisDataException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT")) throw e;
            LOG.debug("Redis {} refused a script ({} flags)", address, withFlags ? "with" : "without", e);
            return false;
        }
    }

    /** One script call of a batch. */
    record Call(RedisScripts script, List<byte[]> keys, List<byte[]> args) {}

    /**
     * Runs all {@code calls} in one pipeline (one round trip). Each result is the reply or the
     * {@link JedisDataException} of that call.
     */
    List<Object> evalBatch(List<Call> calls) {
        try {
            try {
                return evalBatchOnce(calls);
            } catch (JedisConnectionException e) {
                if (!dropped(e) || !calls.stream().allMatch(c -> c.script().repeatable())) throw e;
                return evalBatchOnce(calls);
            }
        } catch (JedisException e) {
            throw failure(e);
        }
    }

    private List<Object> evalBatchOnce(List<Call> calls) {
        loadScriptsOnFirstUse();
        List<Object> replies = pipeline(calls);
        if (replies.stream().anyMatch(r -> r instanceof JedisNoScriptException)) {
            loadScripts();
            replies = pipeline(calls);
        }
        return replies;
    }

    private List<Object> pipeline(List<Call> calls) {
        List<Response<Object>> responses = new ArrayList<>(calls.size());
        try (AbstractPipeline pipeline = client.pipelined()) {
            for (Call c : calls) responses.add(pipeline.evalsha(sha(c.script()), c.keys(), c.args()));
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

    /**
     * Why this server may evict lock keys, or {@code null} if it cannot: a
     * {@code maxmemory-policy} of {@code allkeys-*} or {@code volatile-*} with a
     * {@code maxmemory} limit (read from {@code INFO memory}, which managed services allow).
     *
     * @throws LockBackendException if the server could not be asked
     */
    String evictionRisk() {
        String info;
        try {
            info = client.info("memory");
        } catch (JedisException e) {
            throw failure(e);
        }
        String policy = null;
        long maxmemory = 0;
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("maxmemory_policy:")) policy = line.substring("maxmemory_policy:".length()).trim();
            if (line.startsWith("maxmemory:")) maxmemory = Long.parseLong(line.substring("maxmemory:".length()).trim());
        }
        if (policy == null || maxmemory == 0 || !(policy.startsWith("allkeys-") || policy.startsWith("volatile-"))) return null;
        return "Redis " + address + " has maxmemory-policy " + policy + " (maxmemory " + maxmemory + " bytes): when full it evicts keys, "
                + "lock keys included, which silently frees held locks; use noeviction for lock servers";
    }

    /**
     * A new connection for the subscriber, outside any pool: on a caller's client it is made by
     * that client's own connection factory (its credentials, TLS, database and protocol apply)
     * but never counts against its pool, so waiting never takes a connection the caller's
     * code, or a holder's release, needs. The caller closes it.
     *
     * @throws JedisConnectionException if it cannot be opened
     */
    Jedis newConnection() {
        if (owned) return new Jedis(address, config);
        try {
            return new Jedis(client.getPool().getFactory().makeObject().getObject());
        } catch (JedisException e) {
            throw e;
        } catch (Exception e) {
            throw new JedisConnectionException("cannot open a subscriber connection to " + address + ": " + e.getMessage(), e);
        }
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

    /** Closes the client dlock built; a caller's client stays open (it is the caller's to close). */
    @Override
    public void close() {
        if (owned) client.close();
    }

    @Override
    public String toString() {
        return address.toString();
    }
}
