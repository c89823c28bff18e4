package io.github.dlock.redis;

import io.github.dlock.DistributedLock;
import io.github.dlock.DistributedReadWriteLock;
import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockBackendException;
import io.github.dlock.LockHolder;
import io.github.dlock.LockListener;
import io.github.dlock.LockMode;
import io.github.dlock.LockProvider;
import io.github.dlock.RetryStrategy;
import io.github.dlock.internal.Arguments;
import io.github.dlock.internal.LeaseRenewer;
import io.github.dlock.internal.OwnerIds;
import io.github.dlock.internal.ProviderRuntime;
import io.github.dlock.spi.Ticker;
import io.github.dlock.internal.WakeSignal;
import java.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.SslOptions;

/**
 * Locks on one Redis server, on N independent servers with the Redlock quorum, on the master
 * of a Sentinel set (followed across failovers), or on a Redis Cluster (each lock on the
 * master of its slot).
 *
 * <pre>{@code
 * try (LockProvider locks = RedisLockProvider.builder().server("localhost", 6379).build()) { ... }
 * try (LockProvider locks = LockProvider.open("redis://r1:6379,r2:6379,r3:6379?lease=10s")) { ... }
 * try (LockProvider locks = LockProvider.open("redis-sentinel://s1:26379,s2:26379,s3:26379?replicas=1#mymaster")) { ... }
 * try (LockProvider locks = RedisLockProvider.builder().clusterNodes("n1:7000", "n2:7001").build()) { ... }
 * }</pre>
 *
 * <p>Guarantees: holds have a lease (default 30 s) that one renewer thread per provider
 * extends every lease/3 for all held locks at once, in one pipelined round trip per server;
 * a handle whose lease is found gone completes {@code lost()} at once, and every handle
 * completes it at its local validity deadline (send time of its last successful acquire or
 * renewal + lease − 1% − 2 ms) unless renewed by then, before any other client can acquire
 * the lock (see {@link LeaseRenewer}). Waiters are woken by the releasing script's PUBLISH
 * (after their subscription is confirmed) or when the holder's lease runs out, and retry on
 * a timer only as a fallback. With N servers an acquisition needs a majority (semaphores
 * more, see {@link RedisSemaphore}) within the lease's validity, checked last, else it is
 * given back everywhere; calls return as soon as the majority answered. Fencing tokens rise across holders, also across a server restart (see
 * {@link RedisScripts}).
 *
 * <p>Limits, as with every lease-based lock: a holder paused for longer than its lease (GC,
 * VM suspend) may find its lock taken over; use fencing tokens where that matters. A single
 * server is not replicated safely unless {@link Builder#waitForReplicas} is set.
 */
public final class RedisLockProvider implements LockProvider {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RedisLockProvider.class);
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

    /** The longest lease (and {@code extend}) accepted: one year. */
    public static final Duration MAX_LEASE = Duration.ofDays(365);

    private final Quorum quorum;
    private final RedisWakeUps subscriptions;
    /** On a Redis Cluster (keys tagged for it, see {@link RedisKeys}). */
    private final boolean clustered;
    private final LeaseRenewer<RedisHeldLock> renewer;
    private final ProviderRuntime runtime;
    private final Ticker ticker = Ticker.system();
    private final String prefix;
    private final String ownerId;
    private final RetryStrategy retryStrategy;
    private final long leaseMs;
    private final byte[] leaseMsBytes;
    private final byte[] waitMarkMsBytes;
    private final int replicas;
    private final long replicaTimeoutMs;
    private final long timeoutNanos;
    private final java.util.concurrent.ScheduledThreadPoolExecutor wakeups;
    /** One per pooled connection: acquire attempts in flight at once (see {@link #startAttempt}). */
    private final java.util.concurrent.Semaphore attemptSlots;
    /** Turns of waiting acquisitions, striped by lock (see {@link #waitingTurn}). */
    private final java.util.concurrent.Semaphore[] waitingTurns = new java.util.concurrent.Semaphore[64];
    private final java.util.concurrent.CompletableFuture<List<String>> evictionWarnings = new java.util.concurrent.CompletableFuture<>();

    private RedisLockProvider(Builder b) {
        JedisClientConfig config = b.clientConfig();
        List<RedisNode> nodes = new ArrayList<>();
        String description;
        if (!b.clusterNodes.isEmpty()) {
            RedisClusterNode cluster = new RedisClusterNode(new java.util.LinkedHashSet<>(b.clusterNodes), config, b.poolSize);
            nodes.add(cluster);
            this.subscriptions = new RedisShardedSubscriptions(cluster, b.timeout.toNanos());
            this.clustered = true;
            description = (b.ssl ? "rediss-cluster://" : "redis-cluster://") + join(b.clusterNodes);
        } else if (!b.sentinels.isEmpty()) {
            RedisServerNode master = new RedisServerNode(b.masterName, new java.util.LinkedHashSet<>(b.sentinels), config, b.sentinelConfig(), b.poolSize);
            nodes.add(master);
            this.subscriptions = new RedisSubscriptions(List.of(master), b.timeout.toNanos());
            this.clustered = false;
            description = (b.ssl ? "rediss-sentinel://" : "redis-sentinel://") + join(b.sentinels) + "#" + b.masterName;
        } else {
            List<RedisServerNode> servers = new ArrayList<>();
            for (HostAndPort server : b.servers) servers.add(new RedisServerNode(server, config, b.poolSize));
            for (RedisClient client : b.clients) servers.add(new RedisServerNode(client));
            java.util.Set<HostAndPort> seen = new java.util.HashSet<>();
            for (RedisServerNode node : servers) {
                if (!seen.add(node.address())) {
                    servers.forEach(RedisNode::close); // closes only the clients dlock built
                    throw new IllegalArgumentException("two of the given clients connect to the same server " + node.address()
                            + ": Redlock needs independent servers (give one client per server)");
                }
            }
            nodes.addAll(servers);
            this.subscriptions = new RedisSubscriptions(servers, b.timeout.toNanos());
            this.clustered = false;
            description = (b.ssl ? "rediss://" : "redis://") + join(servers.stream().map(RedisNode::address).toList());
        }
        this.quorum = new Quorum(nodes, Duration.ofMillis(2L * b.timeout.toMillis() + 1000), b.poolSize);
        this.prefix = b.prefix;
        this.ownerId = b.ownerId != null ? b.ownerId : OwnerIds.generate();
        this.retryStrategy = b.retryStrategy != null ? b.retryStrategy : RetryStrategy.exponential(Duration.ofMillis(5), Duration.ofMillis(500));
        this.leaseMs = b.lease.toMillis();
        this.leaseMsBytes = Long.toString(leaseMs).getBytes(StandardCharsets.US_ASCII);
        long waitMarkMs = 2 * retryStrategy.delayNanos(64) / 1_000_000 + 1000;
        this.waitMarkMsBytes = Long.toString(waitMarkMs).getBytes(StandardCharsets.US_ASCII);
        this.replicas = b.replicas;
        this.replicaTimeoutMs = b.replicaTimeout.toMillis();
        this.runtime = new ProviderRuntime("redis", description, ticker);
        this.renewer = b.renew
                ? new LeaseRenewer<>("dlock-redis-renewer", b.lease, b.lease.dividedBy(3), ticker, new RedisLeaseBatch(quorum, b.replicas, b.replicaTimeout.toMillis()))
                : LeaseRenewer.withoutRenewal("dlock-redis-renewer", b.lease, ticker, new RedisLeaseBatch(quorum, b.replicas, b.replicaTimeout.toMillis()));
        renewer.reportingTo(runtime);
        this.timeoutNanos = b.timeout.toNanos();
        this.attemptSlots = new java.util.concurrent.Semaphore(b.poolSize, true);
        for (int i = 0; i < waitingTurns.length; i++) waitingTurns[i] = new java.util.concurrent.Semaphore(1, true);
        this.wakeups = new java.util.concurrent.ScheduledThreadPoolExecutor(1, ProviderRuntime.daemonThreads("dlock-redis-expiry-wakeups"));
        wakeups.setRemoveOnCancelPolicy(true);
        Thread check = new Thread(() -> checkEviction(nodes), "dlock-redis-eviction-check");
        check.setDaemon(true);
        check.start();
    }

    /** Warns once per server whose memory policy can evict lock keys; runs in the background at start. */
    private void checkEviction(List<RedisNode> nodes) {
        List<String> warnings = new ArrayList<>();
        for (RedisNode node : nodes) {
            try {
                String risk = node.evictionRisk();
                if (risk != null) {
                    warnings.add(risk);
                    LOG.warn(risk);
                }
            } catch (RuntimeException e) {
                LOG.debug("Could not read the memory policy of Redis {}", node, e);
            }
        }
        evictionWarnings.complete(List.copyOf(warnings));
    }

    /** The warnings logged at start about servers whose memory policy can evict lock keys; for tests. */
    java.util.concurrent.CompletableFuture<List<String>> evictionWarnings() {
        return evictionWarnings;
    }

    /**
     * Starts configuring a provider.
     *
     * @return a new builder; add at least one {@link Builder#server(String, int)}
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public DistributedLock lock(String name) {
        return runtime.lock(name, n -> new RedisMutex(this, n));
    }

    @Override
    public DistributedReadWriteLock readWriteLock(String name) {
        return runtime.readWriteLock(name, n -> new RedisReadWriteLock.Read(this, n), n -> new RedisReadWriteLock.Write(this, n));
    }

    @Override
    public DistributedSemaphore semaphore(String name, int permits) {
        return runtime.semaphore(name, permits, (n, p) -> new RedisSemaphore(this, n, p), this::holders);
    }

    /**
     * Holders seen on a majority of servers, with their remaining lease. Returns as soon as a
     * majority answered and the answers so far decide every holder seen (on a majority, or on
     * too few for the silent servers to make it one), so a stalled minority costs nothing.
     */
    @Override
    public List<LockHolder> holders(String name) {
        Arguments.requireName(name, "name");
        runtime.ensureOpen();
        RedisKeys mutex = keys(name, "");
        RedisKeys rw = keys(name, ":rw");
        RedisKeys sem = keys(name, ":sem");
        List<byte[]> keys = List.of(mutex.key(""), rw.key(":writer"), rw.key(":readers"), sem.key(""));
        int majority = quorum.majority();
        List<Quorum.Reply<Object>> replies = quorum.until(quorum.nodes(), n -> n.eval(RedisScripts.HOLDERS, keys, List.of()), answers -> {
            long ok = answers.stream().filter(Quorum.Reply::ok).count();
            int silent = quorum.size() - answers.size();
            return ok >= majority && seenBy(answers).values().stream().allMatch(e -> (Integer) e[3] >= majority || (Integer) e[3] + silent < majority);
        }).settle(late -> {});
        Map<String, Object[]> seen = seenBy(replies);
        int answered = (int) replies.stream().filter(Quorum.Reply::ok).count();
        if (answered < majority) {
            RuntimeException cause = replies.stream().filter(r -> !r.ok()).findFirst().map(Quorum.Reply::error).orElse(null);
            String reasons = replies.stream().filter(r -> !r.ok()).map(r -> r.error().getMessage()).collect(Collectors.joining("; "));
            String what = quorum.size() == 1 ? "cannot read the holders of " + Arguments.describe(name)
                    : "only " + answered + " of " + quorum.size() + " Redis servers answered; " + quorum.majority() + " needed to read the holders of "
                            + Arguments.describe(name);
            throw new LockBackendException(what + ": " + reasons, cause);
        }
        List<LockHolder> holders = new ArrayList<>();
        for (Object[] e : seen.values()) {
            if ((Integer) e[3] < quorum.majority()) continue;
            String token = (String) e[1];
            holders.add(OwnerIds.holder(token.substring(0, token.lastIndexOf('#')), (LockMode) e[0])
                    .remainingLease(Duration.ofMillis(Math.max(0, (Long) e[2]))).build());
        }
        return holders;
    }

    /** Per holder (mode and token) in the answers of {@code replies}: {mode, token, shortest remaining ms, servers seen on}. */
    private static Map<String, Object[]> seenBy(List<Quorum.Reply<Object>> replies) {
        Map<String, Object[]> seen = new LinkedHashMap<>();
        for (Quorum.Reply<Object> reply : replies) {
            if (!reply.ok()) continue;
            List<?> flat = (List<?>) reply.value();
            for (int i = 0; i + 2 < flat.size(); i += 3) {
                String mode = new String((byte[]) flat.get(i), StandardCharsets.UTF_8);
                String token = new String((byte[]) flat.get(i + 1), StandardCharsets.UTF_8);
                long remaining = (Long) flat.get(i + 2);
                Object[] entry = seen.computeIfAbsent(mode + "\u0000" + token, k -> new Object[] {LockMode.valueOf(mode), token, remaining, 0});
                entry[2] = Math.min((Long) entry[2], remaining);
                entry[3] = (Integer) entry[3] + 1;
            }
        }
        return seen;
    }

    @Override
    public LockListener.Registration listen(LockListener listener) {
        return runtime.listen(listener);
    }

    @Override
    public int heldLockCount() {
        return runtime.heldCount();
    }

    @Override
    public String backend() {
        return runtime.backend();
    }

    /**
     * The owner id in holder records of locks taken through this provider.
     *
     * @return the id set with {@link Builder#ownerId(String)}, or the generated
     *     {@code host:pid:uuid}
     */
    public String ownerId() {
        return ownerId;
    }

    /**
     * How many round trips this provider has made to its servers. Not public API: for this
     * package's tests, and read reflectively by {@code lock-bench}'s renewal-cost harness.
     */
    long roundTrips() {
        return quorum.roundTrips();
    }

    @Override
    public void close() {
        try {
            runtime.close();
        } finally {
            renewer.close();
            wakeups.shutdownNow();
            subscriptions.close();
            quorum.close();
        }
    }

    @Override
    public String toString() {
        return "RedisLockProvider{" + runtime.description() + "}";
    }

    /** Runs an acquire script on one server (then WAITs for replicas if configured); returns {granted, token or hint}. */
    Object[] acquireOn(RedisNode node, RedisScripts script, List<byte[]> keys, List<byte[]> args) {
        if (replicas == 0) return parse(node.eval(script, keys, args));
        Object[] replyAndConfirmed = node.evalAndWait(script, keys, args, replicas, replicaTimeoutMs);
        Object[] reply = parse(replyAndConfirmed[0]);
        long confirmed = (Long) replyAndConfirmed[1];
        if (Boolean.TRUE.equals(reply[0]) && confirmed < replicas) {
            throw new LockBackendException("only " + confirmed + " of " + replicas + " required replicas of Redis " + node
                    + " confirmed the lock within " + replicaTimeoutMs + " ms");
        }
        return reply;
    }

    private static Object[] parse(Object reply) {
        List<?> list = (List<?>) reply;
        return new Object[] {((Long) list.get(0)) == 1L, list.get(1)};
    }

    /**
     * Checks a lease length: at least 1 ms, at most {@link #MAX_LEASE}.
     *
     * @throws IllegalArgumentException naming {@code argument} and the bound it broke
     * @throws NullPointerException if {@code lease} is null
     */
    static Duration requireLease(Duration lease, String argument) {
        Objects.requireNonNull(lease, argument);
        if (lease.compareTo(Duration.ofMillis(1)) < 0) throw new IllegalArgumentException(argument + " must be at least 1ms: " + lease);
        if (lease.compareTo(MAX_LEASE) > 0) throw new IllegalArgumentException(argument + " must be at most " + MAX_LEASE + ": " + lease);
        return lease;
    }

    Ticker ticker() {
        return ticker;
    }

    /** The per-call timeout (connect, read, waiting for a pooled connection). */
    long timeoutNanos() {
        return timeoutNanos;
    }

    /**
     * Waits for a slot to make one acquire attempt in: at most as many attempts run at once as
     * each server has pooled connections, admitted in arrival order, so that thousands of
     * waiting threads queue here, within their own deadline, instead of on the connection
     * pools (whose wait is one call timeout and then fails). A waiting acquisition waits at
     * most until its deadline, an immediate one at most the call timeout. Pair a
     * {@code true} result with {@link #endAttempt}.
     *
     * @return whether a slot was taken; {@code false} if none came free in time
     * @throws InterruptedException if interrupted while waiting (e.g. by {@code close()})
     */
    boolean startAttempt(io.github.dlock.spi.Deadline deadline) throws InterruptedException {
        if (attemptSlots.tryAcquire()) return true;
        long wait = deadline.isImmediate() ? timeoutNanos : deadline.remainingNanos();
        return attemptSlots.tryAcquire(wait, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void endAttempt() {
        attemptSlots.release();
    }

    /**
     * The turn that this provider's waiting acquisitions of the lock on {@code channel} take
     * for each retry: when a release wakes them, they try one after another instead of all at
     * once, so they neither split a Redlock quorum's votes among themselves (every server
     * granting a different one, all giving back) nor crowd the connections with attempts bound
     * to fail. Striped: locks that share a turn just take turns too.
     */
    java.util.concurrent.Semaphore waitingTurn(String channel) {
        return waitingTurns[Math.floorMod(channel.hashCode(), waitingTurns.length)];
    }

    /**
     * Signals {@code wake} in {@code ms} + 1 ms, when a holder's lease that refused a waiter
     * runs out (expiry publishes nothing); runs on the provider's wake-up thread.
     *
     * @return the scheduled wake-up, to cancel when the waiter is done; {@code null} if the provider is closed
     */
    ScheduledFuture<?> wakeAfter(WakeSignal wake, long ms) {
        try {
            return wakeups.schedule(wake::signalAll, ms + 1, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            return null; // closed: the waiter's own timer still ends its wait
        }
    }

    String newToken() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return ownerId + "#" + Long.toHexString(r.nextLong()) + Long.toHexString(r.nextLong());
    }

    Quorum quorum() {
        return quorum;
    }

    /** The keys of lock {@code name} of {@code kind} ({@code ""}, {@code ":rw"}, {@code ":sem"}). */
    RedisKeys keys(String name, String kind) {
        return new RedisKeys(prefix, name, kind, clustered);
    }

    private static String join(List<HostAndPort> servers) {
        return servers.stream().map(HostAndPort::toString).collect(Collectors.joining(","));
    }

    RedisWakeUps subscriptions() {
        return subscriptions;
    }

    LeaseRenewer<RedisHeldLock> renewer() {
        return renewer;
    }

    String prefix() {
        return prefix;
    }

    RetryStrategy retryStrategy() {
        return retryStrategy;
    }

    byte[] leaseMsBytes() {
        return leaseMsBytes;
    }

    byte[] waitMarkMsBytes() {
        return waitMarkMsBytes;
    }

    /** Configures a {@link RedisLockProvider}; at least one server is required; each setting may be given once. */
    public static final class Builder {
        private final List<HostAndPort> servers = new ArrayList<>();
        private final List<RedisClient> clients = new ArrayList<>();
        private final List<HostAndPort> sentinels = new ArrayList<>();
        private String masterName;
        private final List<HostAndPort> clusterNodes = new ArrayList<>();
        private String user;
        private String password;
        private String sentinelUser;
        private String sentinelPassword;
        private Integer database;
        private boolean ssl;
        private Duration lease = Duration.ofSeconds(30);
        private boolean leaseSet;
        private boolean renew = true;
        private boolean renewSet;
        private RetryStrategy retryStrategy;
        private String prefix = "dlock";
        private boolean prefixSet;
        private String ownerId;
        private int poolSize = 16;
        private boolean poolSizeSet;
        private Duration timeout = Duration.ofSeconds(2);
        private boolean timeoutSet;
        private int replicas;
        private Duration replicaTimeout = Duration.ofSeconds(1);
        private boolean replicasSet;

        private Builder() {}

        /**
         * Adds a server; one server means a plain lock, three or more (odd) mean Redlock.
         *
         * @param host the server's host name or address
         * @param port the server's port, 1 to 65535
         * @return this builder
         * @throws IllegalArgumentException if {@code host} is blank, {@code port} is out of
         *     range, or the same host and port were added before
         * @throws NullPointerException if {@code host} is null
         */
        public Builder server(String host, int port) {
            Objects.requireNonNull(host, "host");
            if (host.isBlank()) throw new IllegalArgumentException("host must not be blank");
            if (port < 1 || port > 65535) throw new IllegalArgumentException("port must be within [1, 65535]: " + port);
            HostAndPort server = new HostAndPort(host, port);
            if (servers.contains(server)) throw new IllegalArgumentException("server " + server + " was given twice");
            servers.add(server);
            return this;
        }

        /**
         * Locks on the master of a Sentinel set (high availability): the sentinels name the
         * master, and the provider follows it across failovers ({@code +switch-master}). Give
         * the sentinels' addresses here (call again for more) and the master's name with
         * {@link #masterName}. {@link #credentials}, {@link #database}, {@link #ssl} and
         * {@link #timeout} apply to the master; sentinels are asked with
         * {@link #sentinelCredentials} if given (else without), the same TLS setting and timeout. Without {@link #waitForReplicas}, a failover may
         * lose locks (their handles complete {@code lost()}, see the README); with it, a lock
         * acquired and renewed with the replicas' confirmation survives a failover to one of them.
         *
         * @param hostAndPorts sentinels as {@code host:port} ({@code [v6]:port}); the port
         *     defaults to 26379
         * @return this builder
         * @throws IllegalArgumentException if an address is blank or malformed, a port is out
         *     of range, or an address was given before
         * @throws NullPointerException if {@code hostAndPorts} or one of them is null
         */
        public Builder sentinels(String... hostAndPorts) {
            addAll(sentinels, hostAndPorts, 26379, "sentinel");
            return this;
        }

        /**
         * The name under which the sentinels know the master ({@code sentinel monitor NAME ...}).
         *
         * @param masterName the master's name: not blank, at most 200 characters, no control characters
         * @return this builder
         * @throws IllegalArgumentException if {@code masterName} is blank, too long or has a control character
         * @throws NullPointerException if {@code masterName} is null
         * @throws IllegalStateException if the master name was already set
         */
        public Builder masterName(String masterName) {
            if (this.masterName != null) throw new IllegalStateException("masterName was already set to " + this.masterName);
            this.masterName = Arguments.requirePrintable(masterName, "masterName", 200);
            return this;
        }

        /**
         * Locks on a Redis Cluster (Redis 7 or later), reached through these seed nodes (any
         * of them; the rest of the cluster is found from its slot map). Each lock lives on the
         * master of its keys' slot; wake-ups use sharded pub/sub. {@link #credentials},
         * {@link #ssl}, {@link #timeout} and {@link #poolSize} (per master) apply; a cluster
         * has no {@link #database} but 0.
         *
         * @param hostAndPorts seed nodes as {@code host:port} ({@code [v6]:port}); the port
         *     defaults to 6379
         * @return this builder
         * @throws IllegalArgumentException if an address is blank or malformed, a port is out
         *     of range, or an address was given before
         * @throws NullPointerException if {@code hostAndPorts} or one of them is null
         */
        public Builder clusterNodes(String... hostAndPorts) {
            addAll(clusterNodes, hostAndPorts, 6379, "cluster node");
            return this;
        }

        private static void addAll(List<HostAndPort> to, String[] hostAndPorts, int defaultPort, String what) {
            Objects.requireNonNull(hostAndPorts, what + "s");
            List<HostAndPort> parsed = new ArrayList<>();
            for (String s : hostAndPorts) {
                HostAndPort address = parseAddress(Objects.requireNonNull(s, what), defaultPort, what);
                if (to.contains(address) || parsed.contains(address)) throw new IllegalArgumentException(what + " " + address + " was given twice");
                parsed.add(address);
            }
            to.addAll(parsed);
        }

        /**
         * Parses {@code host[:port]} or {@code [v6][:port]}.
         *
         * @throws IllegalArgumentException naming {@code what} if it is blank or malformed
         */
        static HostAndPort parseAddress(String server, int defaultPort, String what) {
            String host;
            String port = null;
            if (server.startsWith("[")) {
                int close = server.indexOf(']');
                if (close < 0) throw new IllegalArgumentException("unclosed IPv6 address in " + what + " '" + server + "'");
                host = server.substring(1, close);
                if (server.length() > close + 1) {
                    if (server.charAt(close + 1) != ':') throw new IllegalArgumentException("malformed " + what + " '" + server + "'");
                    port = server.substring(close + 2);
                }
            } else {
                int colon = server.lastIndexOf(':');
                host = colon < 0 ? server : server.substring(0, colon);
                if (colon >= 0) port = server.substring(colon + 1);
            }
            if (host.isBlank()) throw new IllegalArgumentException("missing host in " + what + " '" + server + "'");
            int p;
            try {
                p = port == null ? defaultPort : Integer.parseInt(port);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad port '" + port + "' in " + what + " '" + server + "'");
            }
            if (p < 1 || p > 65535) throw new IllegalArgumentException("port must be within [1, 65535], got " + p + " in " + what + " '" + server + "'");
            return new HostAndPort(host, p);
        }

        /**
         * Uses a caller's Jedis client for one server instead of connections dlock opens (call
         * it once per server for a Redlock set). The client's pool, credentials, TLS, database,
         * socket timeouts and protocol (RESP2 or RESP3) apply; its pool should
         * have a bounded {@code maxWait}, since a call that waits for a connection past
         * {@link #timeout} is abandoned by dlock but still occupies its thread. dlock never
         * closes the client; while the provider waits for wake-ups, its subscriber holds one
         * connection of the client's pool. Cannot be combined with {@link #server},
         * {@link #credentials}, {@link #database}, {@link #ssl} or {@link #poolSize}: those are
         * the client's.
         *
         * @param client an open client; {@link #build()} borrows a connection from it once, to
         *     learn the server's address
         * @return this builder
         * @throws NullPointerException if {@code client} is null
         * @throws IllegalArgumentException if the same client is given twice
         */
        public Builder client(RedisClient client) {
            Objects.requireNonNull(client, "client");
            for (RedisClient c : clients) if (c == client) throw new IllegalArgumentException("the same client was given twice");
            clients.add(client);
            return this;
        }

        /**
         * Credentials for every server; {@code user} may be null (the default user). Never logged.
         *
         * @param user the ACL user name, or {@code null} for the default user
         * @param password the password
         * @return this builder
         * @throws NullPointerException if {@code password} is null
         * @throws IllegalStateException if credentials were already set
         */
        public Builder credentials(String user, String password) {
            if (this.password != null) throw new IllegalStateException("credentials were already set");
            this.user = user;
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        /**
         * Credentials for the sentinels themselves ({@code requirepass} / ACL in
         * {@code sentinel.conf}), which are separate from the servers' ({@link #credentials});
         * without them the sentinels are asked without authentication. Never logged.
         *
         * @param user the ACL user name, or {@code null} for the default user
         * @param password the password
         * @return this builder
         * @throws NullPointerException if {@code password} is null
         * @throws IllegalArgumentException if {@code user} (named {@code sentinelUser}) is blank or has a control character
         * @throws IllegalStateException if sentinel credentials were already set
         */
        public Builder sentinelCredentials(String user, String password) {
            if (this.sentinelPassword != null) throw new IllegalStateException("sentinel credentials were already set");
            this.sentinelUser = user == null ? null : Arguments.requirePrintable(user, "sentinelUser", 200);
            this.sentinelPassword = Objects.requireNonNull(password, "password");
            return this;
        }

        /**
         * The database index (default 0).
         *
         * @param database the index to select on every connection
         * @return this builder
         * @throws IllegalArgumentException if {@code database} is negative
         * @throws IllegalStateException if the database was already set
         */
        public Builder database(int database) {
            if (this.database != null) throw new IllegalStateException("database was already set to " + this.database);
            if (database < 0) throw new IllegalArgumentException("database must not be negative: " + database);
            this.database = database;
            return this;
        }

        /**
         * TLS to every server ({@code rediss://}). Unlike the other settings, this one may be
         * given again; the last call counts.
         *
         * @param ssl whether to connect with TLS (default false)
         * @return this builder
         */
        public Builder ssl(boolean ssl) {
            this.ssl = ssl;
            return this;
        }

        /**
         * How long a hold lasts without renewal (default 30 s); at least 100 ms, at most {@link #MAX_LEASE}.
         *
         * @param lease the lease of every hold; counted in whole milliseconds
         * @return this builder
         * @throws IllegalArgumentException if {@code lease} is shorter than 100 ms or longer than
         *     {@link #MAX_LEASE}
         * @throws NullPointerException if {@code lease} is null
         * @throws IllegalStateException if the lease was already set
         */
        public Builder lease(Duration lease) {
            if (leaseSet) throw new IllegalStateException("lease was already set to " + this.lease);
            Arguments.requirePositive(lease, "lease");
            if (lease.toMillis() < 100) throw new IllegalArgumentException("lease must be at least 100ms: " + lease);
            requireLease(lease, "lease");
            this.lease = lease;
            leaseSet = true;
            return this;
        }

        /**
         * Whether held leases are renewed automatically every lease/3 (default true).
         *
         * @param renew {@code false} to let every hold end with its lease unless
         *     {@link io.github.dlock.LockHandle#extend(Duration)} is called
         * @return this builder
         * @throws IllegalStateException if renewal was already set
         */
        public Builder renew(boolean renew) {
            if (renewSet) throw new IllegalStateException("renew was already set");
            this.renew = renew;
            renewSet = true;
            return this;
        }

        /**
         * Fallback retry delays for waiters (default exponential 5 ms to 500 ms); release messages wake them sooner.
         *
         * @param retryStrategy the strategy; an attempt limit makes waits give up after that many
         *     failed attempts
         * @return this builder
         * @throws NullPointerException if {@code retryStrategy} is null
         * @throws IllegalStateException if the retry strategy was already set
         */
        public Builder retryStrategy(RetryStrategy retryStrategy) {
            if (this.retryStrategy != null) throw new IllegalStateException("retryStrategy was already set");
            this.retryStrategy = Objects.requireNonNull(retryStrategy, "retryStrategy");
            return this;
        }

        /**
         * Key prefix (default {@code dlock}): 1 to 64 of {@code [A-Za-z0-9._:-]}.
         *
         * @param prefix the prefix of every key this provider uses; providers with different
         *     prefixes have independent locks
         * @return this builder
         * @throws IllegalArgumentException if {@code prefix} is empty, longer than 64 characters
         *     or has another character
         * @throws NullPointerException if {@code prefix} is null
         * @throws IllegalStateException if the prefix was already set
         */
        public Builder prefix(String prefix) {
            if (prefixSet) throw new IllegalStateException("prefix was already set to " + this.prefix);
            Objects.requireNonNull(prefix, "prefix");
            if (!PREFIX.matcher(prefix).matches()) throw new IllegalArgumentException("prefix must be 1 to 64 of [A-Za-z0-9._:-]: '" + prefix + "'");
            this.prefix = prefix;
            prefixSet = true;
            return this;
        }

        /**
         * The owner id shown by {@code holders}; default {@code host:pid:uuid}.
         *
         * @param ownerId the id: not blank, at most 200 characters, no control characters
         * @return this builder
         * @throws IllegalArgumentException if {@code ownerId} is blank, too long or contains a
         *     control character
         * @throws NullPointerException if {@code ownerId} is null
         * @throws IllegalStateException if the owner id was already set
         */
        public Builder ownerId(String ownerId) {
            if (this.ownerId != null) throw new IllegalStateException("ownerId was already set to " + this.ownerId);
            this.ownerId = Arguments.requirePrintable(ownerId, "ownerId", 200);
            return this;
        }

        /**
         * Connections per server (default 16); also how many acquire attempts run at once
         * (more waiting threads queue for a turn within their deadline).
         *
         * @param poolSize the most connections to each server
         * @return this builder
         * @throws IllegalArgumentException if {@code poolSize} is not positive
         * @throws IllegalStateException if the pool size was already set
         */
        public Builder poolSize(int poolSize) {
            if (poolSizeSet) throw new IllegalStateException("poolSize was already set to " + this.poolSize);
            this.poolSize = Arguments.requirePositive(poolSize, "poolSize");
            poolSizeSet = true;
            return this;
        }

        /**
         * Connect and socket timeout per server call (default 2 s).
         *
         * @param timeout the timeout; passed to the client in whole milliseconds
         * @return this builder
         * @throws IllegalArgumentException if {@code timeout} is shorter than 1 ms or longer than a day
         * @throws NullPointerException if {@code timeout} is null
         * @throws IllegalStateException if the timeout was already set
         */
        public Builder timeout(Duration timeout) {
            if (timeoutSet) throw new IllegalStateException("timeout was already set to " + this.timeout);
            this.timeout = Arguments.requireMillis(timeout, "timeout", Duration.ofDays(1));
            timeoutSet = true;
            return this;
        }

        /**
         * After each acquire, WAIT until {@code replicas} replicas of the server confirm it,
         * at most {@code timeout}; otherwise the acquire fails with a
         * {@link LockBackendException} and holds nothing. Off (0) by default.
         *
         * @param replicas how many replicas must confirm each acquisition; 0 for none
         * @param timeout the longest wait for the replicas, in whole milliseconds
         * @return this builder
         * @throws IllegalArgumentException if {@code replicas} is negative or {@code timeout} is
         *     shorter than 1 ms or longer than a day
         * @throws NullPointerException if {@code timeout} is null
         * @throws IllegalStateException if this was already set
         */
        public Builder waitForReplicas(int replicas, Duration timeout) {
            if (replicasSet) throw new IllegalStateException("waitForReplicas was already set");
            if (replicas < 0) throw new IllegalArgumentException("replicas must not be negative: " + replicas);
            this.replicas = replicas;
            this.replicaTimeout = Arguments.requireMillis(timeout, "timeout", Duration.ofDays(1));
            replicasSet = true;
            return this;
        }

        /**
         * Creates the provider. A server that is down does not make this fail; the calls that
         * need it throw {@link LockBackendException} until it is up.
         *
         * @return a new, open provider
         * @throws IllegalStateException if no server was given, or an even number of two or
         *     more (a Redlock quorum needs an odd count to tolerate failures)
         * @throws IllegalArgumentException if two given clients connect to the same server
         * @throws LockBackendException if a given client cannot connect (its server is learnt
         *     from a connection)
         */
        public RedisLockProvider build() {
            int topologies = (servers.isEmpty() ? 0 : 1) + (clients.isEmpty() ? 0 : 1) + (sentinels.isEmpty() ? 0 : 1) + (clusterNodes.isEmpty() ? 0 : 1);
            if (topologies > 1) {
                throw new IllegalStateException("give servers, clients, sentinels or cluster nodes: one kind of deployment per provider");
            }
            if (!sentinels.isEmpty() && masterName == null) throw new IllegalStateException("sentinels need the master's name (masterName)");
            if (masterName != null && sentinels.isEmpty()) throw new IllegalStateException("masterName is for sentinels, and none were given");
            if (sentinelPassword != null && sentinels.isEmpty()) throw new IllegalStateException("sentinelCredentials are for sentinels, and none were given");
            if (!clusterNodes.isEmpty() && database != null && database != 0) {
                throw new IllegalStateException("a Redis Cluster has only database 0, got " + database);
            }
            if (!sentinels.isEmpty() || !clusterNodes.isEmpty()) return new RedisLockProvider(this);
            if (!clients.isEmpty()) {
                if (!servers.isEmpty() || password != null || database != null || ssl || poolSizeSet) {
                    throw new IllegalStateException("client(...) brings its own connections: server, credentials, database, ssl and poolSize "
                            + "belong to the client and cannot be set as well");
                }
            } else if (servers.isEmpty()) {
                throw new IllegalStateException("at least one server (or client, sentinel or cluster node) is required");
            }
            int count = clients.isEmpty() ? servers.size() : clients.size();
            if (count > 1 && count % 2 == 0) {
                throw new IllegalStateException("Redlock needs an odd number of servers, got " + count);
            }
            return new RedisLockProvider(this);
        }

        /** Connections to sentinels: TLS and timeouts as for the servers, the sentinel credentials if given, no database. */
        JedisClientConfig sentinelConfig() {
            DefaultJedisClientConfig.Builder c = DefaultJedisClientConfig.builder()
                    .connectionTimeoutMillis((int) timeout.toMillis())
                    .socketTimeoutMillis((int) timeout.toMillis())
                    .clientName("dlock-sentinel")
                    .protocol(RedisProtocol.RESP2);
            if (ssl) c.sslOptions(SslOptions.defaults());
            if (sentinelPassword != null) c.user(sentinelUser).password(sentinelPassword);
            return c.build();
        }

        JedisClientConfig clientConfig() {
            // a call with WAIT may take replicaTimeout longer: its read must not time out first
            long readMs = Math.min(Integer.MAX_VALUE, timeout.toMillis() + (replicas > 0 ? replicaTimeout.toMillis() : 0));
            DefaultJedisClientConfig.Builder c = DefaultJedisClientConfig.builder()
                    .connectionTimeoutMillis((int) timeout.toMillis())
                    .socketTimeoutMillis((int) readMs)
                    .clientName("dlock")
                    .protocol(RedisProtocol.RESP2); // the scripts' replies are read in RESP2 shapes
            if (ssl) c.sslOptions(SslOptions.defaults());
            if (password != null) c.user(user).password(password);
            if (database != null) c.database(database);
            return c.build();
        }
    }
}
