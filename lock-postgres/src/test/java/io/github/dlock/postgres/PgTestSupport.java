package io.github.dlock.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.testkit.PoolAccounting;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** Shared helpers of the PostgreSQL fault tests: URLs, callers' pools, scratch databases, pool accounting. */
final class PgTestSupport {
    private PgTestSupport() {}

    /** The test database's URL with a fault-test prefix, {@code owner} and extra options. */
    static String url(String owner, String options) {
        String base = PostgresBackend.baseUrl();
        return base + (base.contains("?") ? "&" : "?") + "prefix=faulttest&owner=" + owner + (options.isEmpty() ? "" : "&" + options);
    }

    /** The same server, another database. */
    static String urlOf(String database, String owner, String options) {
        java.net.URI u = java.net.URI.create(PostgresBackend.baseUrl().replaceFirst("^jdbc:", ""));
        String base = u.getScheme() + "://" + (u.getRawUserInfo() == null ? "postgres" : u.getRawUserInfo()) + "@" + u.getHost()
                + (u.getPort() > 0 ? ":" + u.getPort() : "") + "/" + database;
        return base + "?prefix=faulttest&owner=" + owner + (options.isEmpty() ? "" : "&" + options);
    }

    /** A caller's own HikariCP pool on the test database (or {@code database}). */
    static HikariDataSource appPool(int size, String database) {
        java.net.URI u = java.net.URI.create(PostgresBackend.baseUrl().replaceFirst("^jdbc:", ""));
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:postgresql://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "") + "/"
                + (database != null ? database : u.getPath().substring(1)));
        config.setUsername(u.getUserInfo() == null ? "postgres" : u.getUserInfo().split(":")[0]);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(10_000);
        config.setPoolName("app-" + UUID.randomUUID().toString().substring(0, 6));
        return new HikariDataSource(config);
    }

    static int active(HikariDataSource pool) {
        return pool.getHikariPoolMXBean().getActiveConnections();
    }

    static void assertPoolBack(String what, int baseline, HikariDataSource pool) throws InterruptedException {
        PoolAccounting.assertBackToBaseline(what, baseline, () -> active(pool), Duration.ofSeconds(10));
    }

    static void assertPoolBack(String what, int baseline, LockProvider provider) throws InterruptedException {
        PostgresLockProvider p = (PostgresLockProvider) provider;
        PoolAccounting.assertBackToBaseline(what, baseline, p::connectionsInUse, Duration.ofSeconds(10));
    }

    /** {@code rounds} ordinary acquisitions of every kind, each released: the provider still works. */
    static void keepsWorking(LockProvider locks, int rounds) throws Exception {
        for (int i = 0; i < rounds; i++) {
            try (LockHandle h = locks.lock("round-" + i).acquire(Duration.ofSeconds(10));
                    LockHandle r = locks.readWriteLock("round-rw").readLock().acquire(Duration.ofSeconds(10));
                    LockHandle s = locks.semaphore("round-sem", 2).acquire(Duration.ofSeconds(10))) {
                if (h.fencingToken() <= 0 || r.fencingToken() <= 0 || s.fencingToken() <= 0) throw new AssertionError("no token");
            }
        }
    }

    /** Waits until sessions of {@code owner} wait (ungranted) for {@code count} advisory locks. */
    static void awaitWaiting(String owner, int count) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (PgLocks.advisoryLocksOf(owner, false) < count) {
            if (System.nanoTime() > end) throw new AssertionError(count + " waiter(s) of " + owner + " never queued in the server");
            Thread.sleep(10);
        }
    }

    /** A scratch database with {@code settings} (e.g. {@code idle_session_timeout = '1s'}), dropped by the returned handle. */
    static AutoCloseable scratchDatabase(String name, String... settings) throws Exception {
        try (Connection c = PostgresBackend.jdbc(); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            s.execute("CREATE DATABASE " + name);
            for (String setting : settings) s.execute("ALTER DATABASE " + name + " SET " + setting);
        }
        return () -> {
            try (Connection c = PostgresBackend.jdbc(); Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            }
        };
    }

    /**
     * A fencing counter {@code name} (and its {@code name_epoch} table, epoch 1) with
     * {@code tokens} tokens left: the next draw after those fails with "reached maximum value",
     * a statement failing after its side effect (the grant). Drop both with {@link #dropFence}.
     */
    static void createFenceWithTokensLeft(Statement s, String name, int tokens) throws java.sql.SQLException {
        long epochStart = 1L << PostgresFence.COUNTER_BITS;
        s.execute("CREATE TABLE " + name + "_epoch (one boolean PRIMARY KEY DEFAULT true CHECK (one), epoch bigint NOT NULL)");
        s.execute("INSERT INTO " + name + "_epoch (epoch) VALUES (1)");
        s.execute("CREATE UNLOGGED SEQUENCE " + name + " MAXVALUE " + (epochStart + tokens));
        s.execute("SELECT setval('" + name + "', " + epochStart + ")");
    }

    static void dropFence(Statement s, String name) throws java.sql.SQLException {
        s.execute("DROP SEQUENCE IF EXISTS " + name);
        s.execute("DROP TABLE IF EXISTS " + name + "_epoch");
    }

    static String scalar(Connection c, String sql) throws Exception {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Backend pids of {@code owner}'s sessions in {@code state} ({@code idle}, {@code active}). */
    static void terminateSessionsInState(String owner, String state) throws Exception {
        try (Connection c = PostgresBackend.jdbc(); PreparedStatement ps = c.prepareStatement(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE (application_name = ? OR starts_with(application_name, ? || '@')) AND state = ?")) {
            ps.setString(1, owner);
            ps.setString(2, owner);
            ps.setString(3, state);
            ps.executeQuery().close();
        }
    }

    static void cancelWaitsOf(String owner) throws Exception {
        try (Connection c = PostgresBackend.jdbc(); PreparedStatement ps = c.prepareStatement(
                "SELECT pg_cancel_backend(l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                        + "WHERE l.locktype = 'advisory' AND NOT l.granted AND (a.application_name = ? OR starts_with(a.application_name, ? || '@'))")) {
            ps.setString(1, owner);
            ps.setString(2, owner);
            ps.executeQuery().close();
        }
    }
}
