package io.github.dlock.bench;

import io.github.dlock.LockProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The stores under benchmark, from the environment {@code run.sh} sets: {@code DLOCK_REDIS_URL}
 * (default the loopback server), {@code DLOCK_REDLOCK_URL} (three servers, started by run.sh),
 * {@code DLOCK_CLUSTER_URL} (a Redis Cluster of three masters, started by run.sh),
 * {@code DLOCK_POSTGRES_URL} (default the loopback {@code test} database), and a fresh temporary
 * directory for the file backend.
 */
final class Targets {
    static final String FILE = "file";
    static final String REDIS = "redis";
    static final String REDLOCK = "redlock";
    static final String POSTGRES = "postgres";
    static final String CLUSTER = "cluster";

    private Targets() {}

    static String redisUrl() {
        return env("DLOCK_REDIS_URL", "redis://127.0.0.1:6379");
    }

    static String redlockUrl() {
        String url = System.getenv("DLOCK_REDLOCK_URL");
        if (url == null || url.isBlank()) throw new IllegalStateException("DLOCK_REDLOCK_URL is not set: start the benchmarks with lock-bench/run.sh");
        return url;
    }

    static String clusterUrl() {
        String url = System.getenv("DLOCK_CLUSTER_URL");
        if (url == null || url.isBlank()) throw new IllegalStateException("DLOCK_CLUSTER_URL is not set: start the benchmarks with lock-bench/run.sh");
        return url;
    }

    static String postgresUrl() {
        return env("DLOCK_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test");
    }

    /** A provider for {@code backend}; the file backend gets {@code fileDir}. */
    static LockProvider open(String backend, Path fileDir) {
        return switch (backend) {
            case FILE -> LockProvider.open(fileDir.toUri().toString());
            case REDIS -> LockProvider.open(redisUrl() + "?prefix=bench");
            case REDLOCK -> LockProvider.open(redlockUrl() + "?prefix=bench");
            case POSTGRES -> LockProvider.open(postgresUrl() + "?prefix=bench");
            case CLUSTER -> LockProvider.open(clusterUrl() + "?prefix=bench");
            default -> throw new IllegalArgumentException("unknown backend: " + backend);
        };
    }

    static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** host:port pairs of a {@code redis://h1:p1,h2:p2} (or {@code redis-cluster://}) URL. */
    static List<URI> redisServers(String url) {
        String rest = url.substring(url.indexOf("://") + 3);
        int query = rest.indexOf('?');
        if (query >= 0) rest = rest.substring(0, query);
        int slash = rest.indexOf('/');
        if (slash >= 0) rest = rest.substring(0, slash);
        List<URI> servers = new ArrayList<>();
        for (String hostPort : rest.split(",")) servers.add(URI.create("redis://" + hostPort.substring(hostPort.indexOf('@') + 1)));
        return servers;
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
