package io.github.dlock.redis;

import io.github.dlock.LockBackendException;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * One member of a provider's {@link Quorum}: a Redis deployment that runs the dlock scripts
 * as one consistent store. A server ({@link RedisServerNode}: standalone, or the master a
 * Sentinel set names) or a whole Redis Cluster ({@link RedisClusterNode}, which routes each
 * call to the master of its keys' slot). A Redlock set is several nodes.
 *
 * <p>Every method may be called from any thread, concurrently. Failures are
 * {@link LockBackendException}s carrying the server's reason.
 */
abstract class RedisNode implements AutoCloseable {

    /** One script call of a batch. */
    record Call(RedisScripts script, List<byte[]> keys, List<byte[]> args) {}

    /**
     * Runs {@code script} and returns its reply. A {@link RedisScripts#repeatable() repeatable}
     * script whose connection turned out dropped is run once more on a fresh connection; any
     * other is not, as it may have run before the connection dropped (see {@link #connectionDropped}).
     *
     * @throws LockBackendException if the call failed or its reply was an error
     */
    abstract Object eval(RedisScripts script, List<byte[]> keys, List<byte[]> args);

    /**
     * Runs {@code script} and then {@code WAIT replicas timeoutMs} on the same connection, in
     * one round trip (WAIT only counts the writes of the connection that issues it). Never
     * repeated.
     *
     * @return the script's reply and how many replicas confirmed
     * @throws LockBackendException if the call failed or its reply was an error
     */
    abstract Object[] evalAndWait(RedisScripts script, List<byte[]> keys, List<byte[]> args, int replicas, long timeoutMs);

    /**
     * Runs all {@code calls} pipelined: one round trip per server involved. Each result is the
     * reply, or the exception of that call (which then counts as unanswered). With
     * {@code replicas > 0}, a server's replies count only if that many of its replicas
     * confirmed them ({@code WAIT} in the same pipeline); otherwise they are failures.
     *
     * @throws LockBackendException if no call could be answered at all
     */
    abstract List<Object> evalBatch(List<Call> calls, int replicas, long replicaTimeoutMs);

    /**
     * Why this deployment may evict lock keys, or {@code null} if it cannot (see
     * {@link #evictionRisk(String, String)}).
     *
     * @throws LockBackendException if the servers could not be asked
     */
    abstract String evictionRisk();

    /** How many round trips this node made (one per pipeline per server). */
    abstract long roundTrips();

    /** The server (or first seed) this node stands for; two nodes of one provider never share it. */
    abstract HostAndPort address();

    /** Closes what dlock opened for this node; a caller's client stays open. */
    @Override
    public abstract void close();

    /**
     * Whether {@code failure} (thrown by a call on a node) is a dropped connection, after which
     * the call may have run on the server or not; the node's idle connections are gone by
     * then, so a retry gets a fresh one.
     */
    static boolean connectionDropped(RuntimeException failure) {
        return failure instanceof LockBackendException && failure.getCause() instanceof JedisConnectionException && !timedOut(failure.getCause());
    }

    /**
     * Whether {@code failure} (thrown by a call on a node) is one a store recovers from by
     * itself: a connection failure or timeout, or a server that is failing over, loading,
     * read-only (a demoted master), has no quorum of replicas, or a cluster slot in motion.
     * A waiting acquisition rides those out until its deadline.
     */
    static boolean transientFailure(RuntimeException failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof JedisConnectionException) return true;
            String m = t.getMessage();
            if (t instanceof JedisDataException && m != null && (m.startsWith("READONLY") || m.startsWith("LOADING") || m.startsWith("MASTERDOWN")
                    || m.startsWith("CLUSTERDOWN") || m.startsWith("TRYAGAIN") || m.startsWith("NOREPLICAS"))) return true;
        }
        return failure instanceof LockBackendException && failure.getMessage() != null && failure.getMessage().contains("required replicas");
    }

    /**
     * The {@link InterruptedException} to throw instead of {@code failure} when an interrupt
     * caused it (commons-pool ends a wait for a connection with one, which Jedis wraps, and
     * clears the thread's interrupt status on the way); null otherwise.
     */
    static InterruptedException interruption(RuntimeException failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof InterruptedException) {
                Thread.interrupted(); // thrown instead: the status is cleared, as InterruptedException promises
                InterruptedException e = new InterruptedException("interrupted while calling Redis");
                e.initCause(failure);
                return e;
            }
        }
        return null;
    }

    static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.SocketTimeoutException) return true;
        }
        return false;
    }

    /**
     * Queues a {@code SCRIPT LOAD} of every script's {@code variant} text on {@code pipeline}
     * and reads the answers after {@link AbstractPipeline#sync()}.
     *
     * @return whether the server took them all; {@code false} if it refused one (e.g. flags
     *     before Redis 7)
     * @throws JedisDataException NOSCRIPT-like errors other than a refusal
     */
    static boolean loadAll(AbstractPipeline pipeline, java.util.function.Function<RedisScripts, byte[]> variant, byte[] sampleKey) {
        List<Response<byte[]>> loaded = new ArrayList<>();
        for (RedisScripts script : RedisScripts.values()) loaded.add(pipeline.scriptLoad(variant.apply(script), sampleKey));
        pipeline.sync();
        try {
            loaded.forEach(Response::get);
            return true;
        } catch (JedisDataException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT")) throw e;
            return false;
        }
    }

    /**
     * The eviction risk read from one server's {@code INFO memory}: a {@code maxmemory-policy}
     * of {@code allkeys-*} or {@code volatile-*} with a {@code maxmemory} limit, or {@code null}.
     */
    static String evictionRisk(String server, String info) {
        String policy = null;
        long maxmemory = 0;
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("maxmemory_policy:")) policy = line.substring("maxmemory_policy:".length()).trim();
            if (line.startsWith("maxmemory:")) maxmemory = Long.parseLong(line.substring("maxmemory:".length()).trim());
        }
        if (policy == null || maxmemory == 0 || !(policy.startsWith("allkeys-") || policy.startsWith("volatile-"))) return null;
        return "Redis " + server + " has maxmemory-policy " + policy + " (maxmemory " + maxmemory + " bytes): when full it evicts keys, "
                + "lock keys included, which silently frees held locks; use noeviction for lock servers";
    }

    /** A failure of a call on {@code server}, with the server's (or the connection's) reason. */
    static LockBackendException failure(String server, RuntimeException e) {
        if (e instanceof JedisConnectionException) {
            return new LockBackendException("Redis " + server + " is unreachable: " + e.getMessage(), e);
        }
        return new LockBackendException("Redis " + server + " failed: " + e.getMessage(), e);
    }
}
