package io.github.dlock.redis;

import io.github.dlock.LockProvider;
import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.TestServers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.stream.Collectors;
import redis.clients.jedis.Jedis;

/**
 * Redis backends under test: the server {@link TestServers#redisUrl()} resolves
 * ({@code $DLOCK_REDIS_URL}, else the loopback server, else a container), a container in any
 * case ({@link #container()}), or a 3-node Redlock on extra servers started here. Leases are
 * short (5 s) so that killed holders free their locks quickly.
 */
final class RedisBackend implements ConformanceBackend {
    static final String OPTIONS = "lease=5s&prefix=dlocktest";
    private static RedisBackend single;
    private static RedisBackend redlock;
    private static RedisBackend container;

    private static RedisBackend sentinel;
    private static RedisBackend cluster;
    private static io.github.dlock.testkit.RedisTopologies.SentinelSet sentinelSet;
    private static io.github.dlock.testkit.RedisTopologies.Cluster clusterSet;

    final String url;
    final List<RedisServer> servers;
    /** The data servers now (for a Sentinel set: its master; for a cluster: its masters); null for {@link #servers}. */
    private final java.util.function.Supplier<List<java.net.URI>> dataServers;
    private final boolean clustered;

    private RedisBackend(String url, List<RedisServer> servers) {
        this(url, servers, null, false);
    }

    private RedisBackend(String url, List<RedisServer> servers, java.util.function.Supplier<List<java.net.URI>> dataServers, boolean clustered) {
        this.url = url;
        this.servers = servers;
        this.dataServers = dataServers;
        this.clustered = clustered;
    }

    /** The Sentinel set the kits share (1 master, 1 replica, 3 sentinels), started on first use. */
    static synchronized io.github.dlock.testkit.RedisTopologies.SentinelSet sentinelSet() {
        if (sentinelSet == null) {
            try {
                sentinelSet = io.github.dlock.testkit.RedisTopologies.startSentinelSet();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the Sentinel set (is redis-server on PATH?)", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return sentinelSet;
    }

    /** The Redis Cluster the kits share (3 masters with a replica each), started on first use. */
    static synchronized io.github.dlock.testkit.RedisTopologies.Cluster clusterSet() {
        if (clusterSet == null) {
            try {
                clusterSet = io.github.dlock.testkit.RedisTopologies.startCluster();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the Redis Cluster (is redis-server on PATH?)", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return clusterSet;
    }

    /** The kits' backend on the shared Sentinel set. */
    static synchronized RedisBackend sentinel() {
        if (sentinel == null) sentinel = onSentinels(sentinelSet(), OPTIONS);
        return sentinel;
    }

    /** A backend on {@code set} with {@code options}. */
    static RedisBackend onSentinels(io.github.dlock.testkit.RedisTopologies.SentinelSet set, String options) {
        return new RedisBackend(set.url(options), List.of(), () -> List.of(java.net.URI.create("redis://" + set.master().address())), false);
    }

    /** The kits' backend on the shared cluster. */
    static synchronized RedisBackend cluster() {
        if (cluster == null) cluster = onCluster(clusterSet(), OPTIONS);
        return cluster;
    }

    /** A backend on {@code set} with {@code options}. */
    static RedisBackend onCluster(io.github.dlock.testkit.RedisTopologies.Cluster set, String options) {
        return new RedisBackend(set.url(options), List.of(), () -> set.masters().stream().map(m -> java.net.URI.create("redis://" + m.address())).toList(), true);
    }

    /** The base URL of the single server, without options. */
    static String singleServerUrl() {
        return TestServers.redisUrl();
    }

    static synchronized RedisBackend single() {
        if (single == null) single = onServer(singleServerUrl());
        return single;
    }

    /** The backend on a Redis container of its own, whatever else is available. */
    static synchronized RedisBackend container() {
        if (container == null) container = onServer(TestServers.redisContainerUrl());
        return container;
    }

    private static RedisBackend onServer(String base) {
        requireReachable(base);
        return new RedisBackend(base + (base.contains("?") ? "&" : "?") + OPTIONS, List.of());
    }

    /** Servers of a test's own (one, or several for Redlock) with {@code options}. */
    static RedisBackend on(List<RedisServer> servers, String options) {
        String hosts = servers.stream().map(RedisServer::address).collect(Collectors.joining(","));
        return new RedisBackend("redis://" + hosts + "?" + options, servers);
    }

    static synchronized RedisBackend redlock() {
        if (redlock == null) {
            try {
                List<RedisServer> servers = List.of(RedisServer.start(), RedisServer.start(), RedisServer.start());
                String hosts = servers.stream().map(RedisServer::address).collect(Collectors.joining(","));
                redlock = new RedisBackend("redis://" + hosts + "?" + OPTIONS, servers);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start redis-server for the Redlock tests (is redis-server on PATH?)", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return redlock;
    }

    /** Fails loudly: a test that needs Redis must not pass or skip without it. */
    private static void requireReachable(String base) {
        java.net.URI uri = java.net.URI.create(base);
        try (Jedis j = new Jedis(uri, TestClients.CONFIG)) {
            j.ping();
        } catch (RuntimeException e) {
            throw new AssertionError("Redis at " + io.github.dlock.internal.Arguments.redactUrl(base) + " is unreachable; start it (see .ci/run) "
                    + "or set DLOCK_REDIS_URL: " + e.getMessage(), e);
        }
    }

    @Override
    public LockProvider openProvider() {
        return LockProvider.open(url);
    }

    @Override
    public String providerUrl() {
        return url;
    }

    /** Every server of this backend. */
    private List<java.net.URI> serverUris() {
        if (dataServers != null) return dataServers.get();
        return servers.isEmpty() ? List.of(java.net.URI.create(url.substring(0, url.indexOf('?'))))
                : servers.stream().map(s -> java.net.URI.create("redis://" + s.address())).toList();
    }

    /** Deletes the key (or sorted set) holding the lock on every server, as an operator's {@code DEL} would. */
    @Override
    public void breakLockExternally(String name, io.github.dlock.LockMode mode) {
        String query = url.substring(url.indexOf('?') + 1).replaceFirst("#.*$", "");
        String prefix = java.util.Arrays.stream(query.split("&")).filter(o -> o.startsWith("prefix="))
                .map(o -> o.substring("prefix=".length())).findFirst().orElse("dlock");
        RedisKeys keys = new RedisKeys(prefix, name, mode == io.github.dlock.LockMode.PERMIT ? ":sem" : mode == io.github.dlock.LockMode.WRITE ? ":rw" : "", clustered);
        byte[] key = keys.key(mode == io.github.dlock.LockMode.WRITE ? ":writer" : "");
        long deleted = 0;
        for (java.net.URI uri : serverUris()) {
            try (Jedis j = new Jedis(uri, TestClients.CONFIG)) {
                deleted += j.del(key);
            } catch (redis.clients.jedis.exceptions.JedisRedirectionException notHere) {
                // a cluster master that does not serve the key's slot
            }
        }
        if (deleted == 0) throw new AssertionError("no server had the key " + new String(key, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Keys without the tests' prefix, on every server of this backend. */
    @Override
    public java.util.Set<String> outsideNamespace() {
        java.util.Set<String> keys = new java.util.HashSet<>();
        for (java.net.URI uri : serverUris()) {
            try (Jedis j = new Jedis(uri, TestClients.CONFIG)) {
                String cursor = redis.clients.jedis.params.ScanParams.SCAN_POINTER_START;
                do {
                    redis.clients.jedis.resps.ScanResult<String> page = j.scan(cursor, new redis.clients.jedis.params.ScanParams().count(1000));
                    page.getResult().stream().filter(k -> !k.startsWith("dlocktest:")).forEach(k -> keys.add(uri.getPort() + "/" + k));
                    cursor = page.getCursor();
                } while (!cursor.equals(redis.clients.jedis.params.ScanParams.SCAN_POINTER_START));
            }
        }
        return keys;
    }

    @Override
    public boolean hasLeases() {
        return true;
    }
}
