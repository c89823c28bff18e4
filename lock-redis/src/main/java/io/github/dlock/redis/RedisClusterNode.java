package io.github.dlock.redis;

import io.github.dlock.LockBackendException;
import io.github.dlock.internal.ProviderRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.CommandObjects;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisAskDataException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisMovedDataException;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.providers.ClusterConnectionProvider;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * A whole Redis Cluster as one store: every script runs on the master of its keys' slot (all
 * keys of a lock share one, see {@link RedisKeys}), found in the slot map the client keeps
 * and follows {@code MOVED} (map refreshed), {@code ASK} (once, with {@code ASKING}, on the
 * importing master) and {@code TRYAGAIN} (a lock's keys split mid-migration: retried shortly)
 * while slots move. None of these replies means the script ran, so any script may follow them;
 * a dropped connection is retried only for {@link RedisScripts#repeatable() repeatable} ones,
 * as on one server. Scripts are the {@link RedisScripts#shardedText sharded} variants (Redis 7+),
 * loaded on each master on first use there (its NOSCRIPT reply).
 *
 * <p>Batches (renewals) are split by master and pipelined, one round trip per master per
 * batch, the masters in parallel; a master that fails or is slow fails only its own calls.
 */
final class RedisClusterNode extends RedisNode {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RedisClusterNode.class);
    private static final byte[] ANY_KEY = {'x'};
    /** Redirections one call follows before it gives up (a slot moving again and again). */
    private static final int MAX_REDIRECTS = 8;

    private final Set<HostAndPort> seeds;
    private final JedisClientConfig config;
    private final ClusterConnectionProvider provider;
    private final CommandObjects commands = new CommandObjects(redis.clients.jedis.RedisProtocol.RESP2);
    private final ExecutorService perMaster = Executors.newCachedThreadPool(ProviderRuntime.daemonThreads("dlock-redis-cluster-batch"));
    private final AtomicLong roundTrips = new AtomicLong();
    private final long callTimeoutNanos;

    /**
     * Connects to the cluster through any of {@code seeds} (it reads the slot map from the
     * first that answers).
     *
     * @throws LockBackendException if no seed answered with a slot map
     */
    RedisClusterNode(Set<HostAndPort> seeds, JedisClientConfig config, int poolSize) {
        this.seeds = Set.copyOf(seeds);
        this.config = config;
        this.callTimeoutNanos = Duration.ofMillis(Math.max(1, config.getSocketTimeoutMillis())).toNanos();
        GenericObjectPoolConfig<Connection> pool = RedisServerNode.poolConfig(config, poolSize);
        try {
            this.provider = new ClusterConnectionProvider(this.seeds, config, pool, Duration.ofSeconds(5));
        } catch (JedisException e) {
            perMaster.shutdownNow();
            throw new LockBackendException("no Redis Cluster seed of " + seeds + " answered with its slot map: " + e.getMessage(), e);
        }
    }

    static int slot(byte[] key) {
        return JedisClusterCRC16.getSlot(key);
    }

    /** The master that serves {@code slot} as far as the slot map knows, or {@code null}. */
    HostAndPort masterOf(int slot) {
        return provider.getNode(slot);
    }

    /** Reads the slot map again (after a slot moved or a master failed over). */
    void refreshSlots() {
        try {
            provider.renewSlotCache();
        } catch (JedisException e) {
            LOG.debug("Refreshing the slot map of Redis Cluster {} failed", seeds, e);
        }
    }

    /** The masters in the slot map. */
    Set<HostAndPort> masters() {
        Set<HostAndPort> masters = new java.util.HashSet<>();
        for (String node : provider.getPrimaryNodes().keySet()) masters.add(HostAndPort.from(node));
        return masters;
    }

    /** A new connection to {@code master}, outside the pools, for a subscriber; the caller closes it. */
    Jedis newConnection(HostAndPort master) {
        return new Jedis(master, config);
    }

    @Override
    Object eval(RedisScripts script, List<byte[]> keys, List<byte[]> args) {
        return onSlot(keys.get(0), script.repeatable(), c -> evalsha(c, script, keys, args));
    }

    @Override
    Object[] evalAndWait(RedisScripts script, List<byte[]> keys, List<byte[]> args, int replicas, long timeoutMs) {
        return onSlot(keys.get(0), false, c -> {
            for (int attempt = 0; ; attempt++) {
                Pipeline pipeline = new Pipeline(c);
                Response<Object> reply = pipeline.evalsha(script.shardedSha, keys, args);
                Response<Long> confirmed = pipeline.waitReplicas(replicas, timeoutMs);
                pipeline.sync();
                roundTrips.incrementAndGet();
                try {
                    return new Object[] {reply.get(), confirmed.get()};
                } catch (JedisNoScriptException e) {
                    if (attempt > 0) throw e;
                    load(c);
                }
            }
        });
    }

    private Object evalsha(Connection c, RedisScripts script, List<byte[]> keys, List<byte[]> args) {
        roundTrips.incrementAndGet();
        try {
            return c.executeCommand(commands.evalsha(script.shardedSha, keys, args));
        } catch (JedisNoScriptException e) {
            load(c);
            roundTrips.incrementAndGet();
            return c.executeCommand(commands.evalsha(script.shardedSha, keys, args));
        }
    }

    /** Loads every (sharded) script on the master at the other end of {@code c}. */
    private void load(Connection c) {
        roundTrips.incrementAndGet();
        if (!loadAll(new Pipeline(c), s -> s.shardedText, ANY_KEY)) {
            throw new LockBackendException("Redis " + c.getHostAndPort() + " refused the dlock scripts (Redis Cluster needs Redis 7 or later)");
        }
    }

    /**
     * Runs {@code call} on a pooled connection to the master of {@code key}'s slot, following
     * redirections; a dropped connection is retried once (on a fresh slot map) only if
     * {@code repeatable}.
     *
     * @throws LockBackendException with the server's reason if it failed
     */
    private <T> T onSlot(byte[] key, boolean repeatable, Function<Connection, T> call) {
        int slot = slot(key);
        HostAndPort asking = null;
        HostAndPort moved = null; // where the last MOVED pointed: nodes' slot maps may still disagree during a failover
        boolean retried = false;
        long end = System.nanoTime() + callTimeoutNanos;
        for (int redirects = 0; ; ) {
            Connection c = null;
            try {
                c = asking != null ? provider.getConnection(asking) : moved != null ? provider.getConnection(moved) : provider.getConnectionFromSlot(slot);
                if (asking != null) {
                    c.sendCommand(Protocol.Command.ASKING);
                    c.getStatusCodeReply();
                    roundTrips.incrementAndGet();
                    asking = null;
                }
                return call.apply(c);
            } catch (JedisMovedDataException e) {
                refreshSlots();
                moved = e.getTargetNode(); // followed as named, not through the refreshed map (which may still be stale)
                if (++redirects > MAX_REDIRECTS) throw failure(where(c), e);
            } catch (JedisAskDataException e) {
                asking = e.getTargetNode();
                if (++redirects > MAX_REDIRECTS) throw failure(where(c), e);
            } catch (JedisConnectionException e) {
                refreshSlots();
                if (retried || !repeatable || timedOut(e)) throw failure(where(c, slot), e);
                retried = true;
            } catch (JedisDataException e) {
                if (!tryAgain(e) || System.nanoTime() - end > 0) throw failure(where(c), e);
                InterruptedException interrupted = pause();
                if (interrupted != null) { // TRYAGAIN means the script did not run: stop retrying, say why
                    Thread.currentThread().interrupt();
                    throw failure(where(c), new JedisException("interrupted while the slot's keys were split by a migration", interrupted));
                }
            } catch (JedisException e) {
                throw failure(where(c, slot), e);
            } finally {
                if (c != null) c.close(); // back to its pool, or discarded if broken
            }
        }
    }

    /** {@code TRYAGAIN}: a multi-key command's keys are split between two masters while their slot migrates. */
    private static boolean tryAgain(JedisDataException e) {
        return e.getMessage() != null && e.getMessage().startsWith("TRYAGAIN");
    }

    /** A short pause before retrying a {@code TRYAGAIN}; the interrupt that ended it, if one did. */
    private static InterruptedException pause() {
        try {
            Thread.sleep(5);
            return null;
        } catch (InterruptedException e) {
            return e;
        }
    }

    private String where(Connection c) {
        return c == null ? "cluster " + seeds : String.valueOf(c.getHostAndPort());
    }

    private String where(Connection c, int slot) {
        if (c != null) return String.valueOf(c.getHostAndPort());
        HostAndPort master = provider.getNode(slot);
        return master != null ? master.toString() : "cluster " + seeds + " (slot " + slot + ")";
    }

    @Override
    List<Object> evalBatch(List<Call> calls, int replicas, long replicaTimeoutMs) {
        return evalBatch(calls, replicas, replicaTimeoutMs, (indexes, replies) -> {});
    }

    /**
     * As {@link #evalBatch(List, int, long)}, telling {@code partial} each master's part as soon
     * as it is done: the indexes of its calls and the (shared) reply array, in which those
     * indexes are filled in. Runs on the thread that ran that master's part (this one or a
     * thread of the batch pool), before this returns; must not block.
     */
    List<Object> evalBatch(List<Call> calls, int replicas, long replicaTimeoutMs, java.util.function.BiConsumer<List<Integer>, Object[]> partial) {
        Map<HostAndPort, List<Integer>> byMaster = new LinkedHashMap<>();
        List<Integer> unmapped = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            HostAndPort master = provider.getNode(slot(calls.get(i).keys().get(0)));
            if (master == null) unmapped.add(i);
            else byMaster.computeIfAbsent(master, m -> new ArrayList<>()).add(i);
        }
        Object[] replies = new Object[calls.size()];
        List<Future<?>> running = new ArrayList<>();
        List<Map.Entry<HostAndPort, List<Integer>>> groups = new ArrayList<>(byMaster.entrySet());
        for (int g = 1; g < groups.size(); g++) {
            Map.Entry<HostAndPort, List<Integer>> group = groups.get(g);
            running.add(perMaster.submit(() -> {
                onMaster(group.getKey(), group.getValue(), calls, replies, replicas, replicaTimeoutMs);
                partial.accept(group.getValue(), replies);
            }));
        }
        if (!groups.isEmpty()) {
            onMaster(groups.get(0).getKey(), groups.get(0).getValue(), calls, replies, replicas, replicaTimeoutMs);
            partial.accept(groups.get(0).getValue(), replies);
        }
        for (Future<?> f : running) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("a batch on one master failed outside its calls", e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // kept; the other masters' calls run out their socket timeout
                try {
                    f.get();
                } catch (InterruptedException | ExecutionException ignored) {
                    // reported as the unanswered calls of that master below
                }
            }
        }
        for (int i : unmapped) replies[i] = single(calls.get(i), replicas, replicaTimeoutMs);
        if (!unmapped.isEmpty()) partial.accept(unmapped, replies);
        List<Object> out = new ArrayList<>(calls.size());
        boolean anyAnswered = false;
        for (Object r : replies) {
            out.add(r);
            anyAnswered |= r != null && !(r instanceof RuntimeException);
        }
        if (!anyAnswered && !calls.isEmpty()) {
            Object first = out.get(0);
            throw first instanceof LockBackendException l ? l : new LockBackendException("no master of Redis Cluster " + seeds + " answered");
        }
        return out;
    }

    /**
     * One master's share of a batch, pipelined on one connection; calls redirected meanwhile
     * (their slot moved) are run one by one, following the redirection.
     */
    private void onMaster(HostAndPort master, List<Integer> indexes, List<Call> calls, Object[] replies, int replicas, long replicaTimeoutMs) {
        try (Connection c = provider.getConnection(master)) {
            List<Object> answered = pipelined(c, indexes, calls, replicas, replicaTimeoutMs);
            if (answered.stream().anyMatch(r -> r instanceof JedisNoScriptException)) {
                load(c);
                answered = pipelined(c, indexes, calls, replicas, replicaTimeoutMs);
            }
            for (int k = 0; k < indexes.size(); k++) {
                Object r = answered.get(k);
                int i = indexes.get(k);
                replies[i] = r instanceof JedisMovedDataException || r instanceof JedisAskDataException
                        || (r instanceof JedisDataException d && tryAgain(d)) ? single(calls.get(i), replicas, replicaTimeoutMs) : r;
            }
        } catch (RuntimeException e) {
            if (e instanceof JedisConnectionException) refreshSlots();
            LockBackendException failure = e instanceof LockBackendException l ? l : failure(master.toString(), e);
            for (int i : indexes) replies[i] = failure;
        }
    }

    private List<Object> pipelined(Connection c, List<Integer> indexes, List<Call> calls, int replicas, long replicaTimeoutMs) {
        Pipeline pipeline = new Pipeline(c);
        List<Response<Object>> responses = new ArrayList<>(indexes.size());
        for (int i : indexes) responses.add(pipeline.evalsha(calls.get(i).script().shardedSha, calls.get(i).keys(), calls.get(i).args()));
        Response<Long> confirmed = replicas > 0 ? pipeline.waitReplicas(replicas, replicaTimeoutMs) : null;
        pipeline.sync();
        roundTrips.incrementAndGet();
        List<Object> replies = RedisServerNode.replies(responses);
        // a former master (a replica now) refuses WAIT, but its redirections still count
        boolean anyAnswered = replies.stream().anyMatch(r -> !(r instanceof RuntimeException));
        if (confirmed != null && anyAnswered) {
            long count;
            try {
                count = confirmed.get();
            } catch (JedisDataException e) {
                throw failure(String.valueOf(c.getHostAndPort()), e);
            }
            if (count < replicas) {
                throw new LockBackendException("only " + count + " of " + replicas + " required replicas of Redis " + c.getHostAndPort()
                        + " confirmed within " + replicaTimeoutMs + " ms");
            }
        }
        return replies;
    }

    /**
     * One call of a batch on its own (its slot moved, or is not in the map), with the batch's
     * {@code WAIT} if it has one: the reply, or the failure (also when too few replicas confirmed).
     */
    private Object single(Call call, int replicas, long replicaTimeoutMs) {
        try {
            if (replicas == 0) return eval(call.script(), call.keys(), call.args());
            Object[] replyAndConfirmed = evalAndWait(call.script(), call.keys(), call.args(), replicas, replicaTimeoutMs);
            long confirmed = (Long) replyAndConfirmed[1];
            if (confirmed < replicas) {
                return new LockBackendException("only " + confirmed + " of " + replicas + " required replicas confirmed within " + replicaTimeoutMs + " ms");
            }
            return replyAndConfirmed[0];
        } catch (LockBackendException e) {
            return e;
        }
    }

    /** The eviction risk of every master that answers (each keeps its own share of the locks). */
    @Override
    String evictionRisk() {
        List<String> risks = new ArrayList<>();
        for (HostAndPort master : masters()) {
            try (Connection c = provider.getConnection(master)) {
                String risk = evictionRisk(master.toString(), new Jedis(c).info("memory"));
                if (risk != null) risks.add(risk);
            } catch (JedisException e) {
                throw failure(master.toString(), e);
            }
        }
        return risks.isEmpty() ? null : String.join("; ", risks);
    }

    @Override
    long roundTrips() {
        return roundTrips.get();
    }

    @Override
    HostAndPort address() {
        return seeds.iterator().next();
    }

    @Override
    public void close() {
        perMaster.shutdownNow();
        provider.close();
    }

    @Override
    public String toString() {
        return "cluster " + seeds;
    }
}
