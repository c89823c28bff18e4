package io.github.dlock.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.dlock.DistributedLock;
import io.github.dlock.DistributedReadWriteLock;
import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockBackendException;
import io.github.dlock.LockHolder;
import io.github.dlock.LockMode;
import io.github.dlock.LockProvider;
import io.github.dlock.RetryStrategy;
import io.github.dlock.internal.Arguments;
import io.github.dlock.spi.Deadline;
import io.github.dlock.spi.OwnerIds;
import io.github.dlock.spi.ProviderRuntime;
import io.github.dlock.spi.Ticker;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Locks as PostgreSQL session-level advisory locks.
 *
 * <pre>{@code
 * try (LockProvider locks = LockProvider.open("postgresql://app@db:5432/app")) { ... }
 * }</pre>
 *
 * <p>Guarantees: exclusion is enforced by the server; a lock lives as long as the database
 * session that took it, so a crashed holder's locks vanish with its connection. Try-acquired
 * locks share one pinned connection (many locks, one connection); an acquire that must wait
 * waits inside the server on a connection of its own, which then stays pinned to the lock, and
 * is woken the moment the lock is free. A keep-alive probes pinned connections every
 * {@link Builder#keepAlive} and completes {@code lost()} for every lock of a session that died.
 * Fencing tokens come from one sequence (created if absent), drawn in the acquiring statement.
 * Keys: see {@link AdvisoryKeys}.
 */
public final class PostgresLockProvider implements LockProvider {
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}(\\.[a-z_][a-z0-9_]{0,62})?");

    private static final String HOLDERS_SQL = """
            SELECT l.mode, a.application_name, l.pid, a.xact_start FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid::bigint = ? AND (l.objid::bigint = ? OR ? = 2) AND l.objsubid = ?""";

    private final HikariDataSource ownPool;
    private final PostgresConnections connections;
    private final AdvisoryLocking locking;
    private final ProviderRuntime runtime;
    private final PostgresNotifications notifications;
    private final ScheduledExecutorService keepAlive;
    private final String prefix;
    private final String ownerId;
    private final RetryStrategy retryStrategy;
    private final boolean transactional;

    private PostgresLockProvider(Builder b) {
        this.prefix = b.prefix;
        this.ownerId = b.ownerId != null ? b.ownerId : OwnerIds.generate();
        this.retryStrategy = b.retryStrategy != null ? b.retryStrategy : RetryStrategy.exponential(Duration.ofMillis(10), Duration.ofMillis(500));
        DataSource dataSource;
        if (b.dataSource != null) {
            dataSource = b.dataSource;
            this.ownPool = null;
        } else {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(b.jdbcUrl);
            if (b.user != null) config.setUsername(b.user);
            if (b.password != null) config.setPassword(b.password);
            config.setMaximumPoolSize(b.poolSize);
            config.setMinimumIdle(0);
            config.setConnectionTimeout(Math.max(250, b.timeout.toMillis()));
            config.setInitializationFailTimeout(-1); // open even while the database is down; calls fail until it is up
            config.setPoolName("dlock");
            config.addDataSourceProperty("ApplicationName", ownerId);
            config.addDataSourceProperty("tcpKeepAlive", "true");
            if (b.transactionPooling) config.addDataSourceProperty("prepareThreshold", "0");
            b.jdbcProperties.forEach(config::addDataSourceProperty);
            this.ownPool = new HikariDataSource(config);
            dataSource = ownPool;
        }
        this.transactional = b.transactionPooling;
        // the provider's own pool already has prepareThreshold=0; a caller's connections get it when borrowed
        this.connections = new PostgresConnections(dataSource, b.sequence, b.transactionPooling && b.dataSource != null);
        this.locking = b.transactionPooling ? new TransactionLocking(connections) : new SessionLocking(connections, b.poolSize);
        this.notifications = new PostgresNotifications(dataSource, !b.transactionPooling);
        this.runtime = new ProviderRuntime(b.description, Ticker.system());
        this.keepAlive = Executors.newSingleThreadScheduledExecutor(ProviderRuntime.daemonThreads("dlock-postgres-keepalive"));
        long every = b.keepAlive.toMillis();
        keepAlive.scheduleWithFixedDelay(locking::probe, every, every, TimeUnit.MILLISECONDS);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public DistributedLock lock(String name) {
        return runtime.lock(name, n -> new PostgresLock(this, n));
    }

    @Override
    public DistributedReadWriteLock readWriteLock(String name) {
        return runtime.readWriteLock(name, n -> new PostgresReadWriteLock(this, n, true), n -> new PostgresReadWriteLock(this, n, false));
    }

    @Override
    public DistributedSemaphore semaphore(String name, int permits) {
        return runtime.semaphore(name, permits, (n, p) -> new PostgresSemaphore(this, n, p));
    }

    /**
     * A mutex on the explicit advisory key {@code key} instead of a hashed name, for working
     * together with code that calls {@code pg_advisory_lock(key)} itself: each excludes the
     * other. Its name is {@code "advisory:" + key}.
     */
    public DistributedLock advisoryLock(long key) {
        return runtime.lock("advisory:" + key, n -> new PostgresLock(this, n, key));
    }

    /** Transaction-scoped locks on a caller's own connection, with this provider's keys and sequence. */
    public PostgresTransactionLocks transactionLocks() {
        runtime.ensureOpen();
        try (Connection c = connections.borrow()) {
            c.isValid(1); // borrowing created the fencing sequence if it was absent
        } catch (SQLException e) {
            throw PostgresConnections.failure("cannot create the fencing sequence", e);
        }
        return new PostgresTransactionLocks(prefix, connections);
    }

    /**
     * Holders from {@code pg_locks} joined with {@code pg_stat_activity}; the owner id is the
     * session's application name. {@code since} is known only in transaction-pooling mode (the
     * start of the holding transaction, which took the lock in its first statement).
     */
    @Override
    public List<LockHolder> holders(String name) {
        Arguments.requireName(name, "name");
        runtime.ensureOpen();
        List<LockHolder> holders = new ArrayList<>();
        try (Connection c = connections.borrow(); PreparedStatement ps = c.prepareStatement(HOLDERS_SQL)) {
            collect(ps, Advisory.single(AdvisoryKeys.key(prefix, "mutex", name), false), pgMode -> LockMode.EXCLUSIVE, holders);
            collect(ps, Advisory.single(AdvisoryKeys.key(prefix, "rw", name), false),
                    pgMode -> pgMode.startsWith("Share") ? LockMode.READ : LockMode.WRITE, holders);
            collect(ps, Advisory.slot(AdvisoryKeys.semaphoreKey(prefix, name), 0), pgMode -> LockMode.PERMIT, holders);
        } catch (SQLException e) {
            throw PostgresConnections.failure("cannot read pg_locks", e);
        }
        return holders;
    }

    /** Adds the sessions holding {@code lock} (for a semaphore: any of its permits). */
    private void collect(PreparedStatement ps, Advisory lock, java.util.function.Function<String, LockMode> mode, List<LockHolder> out)
            throws SQLException {
        long[] tag = lock.lockTag();
        ps.setLong(1, tag[0]);
        ps.setLong(2, tag[1]);
        ps.setLong(3, tag[2]);
        ps.setInt(4, (int) tag[2]);
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String owner = rs.getString(2);
                LockHolder.Builder holder = OwnerIds.holder(owner == null || owner.isEmpty() ? "backend-" + rs.getInt(3) : owner, mode.apply(rs.getString(1)));
                // PostgreSQL records no grant time; a transaction-scoped lock is as old as its transaction at most
                if (transactional && rs.getTimestamp(4) != null) holder.since(rs.getTimestamp(4).toInstant());
                out.add(holder.build());
            }
        }
    }

    /** The owner id, also the application name of this provider's connections. */
    public String ownerId() {
        return ownerId;
    }

    @Override
    public void close() {
        try {
            runtime.close();
        } finally {
            keepAlive.shutdownNow();
            connections.close();
            notifications.close();
            locking.close();
            if (ownPool != null) ownPool.close();
        }
    }

    @Override
    public String toString() {
        return "PostgresLockProvider{" + runtime.description() + "}";
    }

    // ---- used by the acquirers and held locks ----

    AdvisoryLocking locking() {
        return locking;
    }

    PostgresNotifications notifications() {
        return notifications;
    }

    RetryStrategy retryStrategy() {
        return retryStrategy;
    }

    String prefix() {
        return prefix;
    }

    /** Configures a {@link PostgresLockProvider}: a JDBC URL or a caller's {@link DataSource}, the rest optional. */
    public static final class Builder {
        private String jdbcUrl;
        private DataSource dataSource;
        private String user;
        private String password;
        private final java.util.Map<String, String> jdbcProperties = new java.util.LinkedHashMap<>();
        private int poolSize = 10;
        private Duration timeout = Duration.ofSeconds(5);
        private Duration keepAlive = Duration.ofSeconds(5);
        private String prefix = "dlock";
        private String ownerId;
        private String sequence = "dlock_fence";
        private RetryStrategy retryStrategy;
        private boolean transactionPooling;
        private String description;

        private Builder() {}

        /** {@code jdbc:postgresql://host:port/db}; the provider pools connections with HikariCP. */
        public Builder jdbcUrl(String jdbcUrl) {
            if (this.jdbcUrl != null || dataSource != null) throw new IllegalStateException("jdbcUrl or dataSource was already set");
            Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            if (!jdbcUrl.startsWith("jdbc:postgresql:")) throw new IllegalArgumentException("jdbcUrl must start with jdbc:postgresql: " + Arguments.redactUrl(jdbcUrl));
            this.jdbcUrl = jdbcUrl;
            return this;
        }

        /** A caller's data source instead of a URL; its connections must be PostgreSQL (pgjdbc) connections in auto-commit. */
        public Builder dataSource(DataSource dataSource) {
            if (this.jdbcUrl != null || this.dataSource != null) throw new IllegalStateException("jdbcUrl or dataSource was already set");
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /** Credentials for {@link #jdbcUrl}; never logged. */
        public Builder credentials(String user, String password) {
            if (this.user != null) throw new IllegalStateException("credentials were already set");
            this.user = Objects.requireNonNull(user, "user");
            this.password = password;
            return this;
        }

        /** A pgjdbc connection property such as {@code sslmode}. */
        public Builder jdbcProperty(String name, String value) {
            jdbcProperties.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Connections in the provider's pool (default 10): one multiplexed, plus one per waiting or waited-for lock. */
        public Builder poolSize(int poolSize) {
            this.poolSize = Arguments.requirePositive(poolSize, "poolSize");
            return this;
        }

        /** How long to wait for a pool connection before failing with {@link LockBackendException} (default 5 s). */
        public Builder timeout(Duration timeout) {
            this.timeout = Arguments.requirePositive(timeout, "timeout");
            return this;
        }

        /** How often pinned sessions are probed (default 5 s); a dead session's locks are reported lost. */
        public Builder keepAlive(Duration keepAlive) {
            this.keepAlive = Arguments.requirePositive(keepAlive, "keepAlive");
            return this;
        }

        /** Mixed into every key (default {@code dlock}), so applications sharing a database can keep apart. */
        public Builder prefix(String prefix) {
            this.prefix = Arguments.requirePrintable(prefix, "prefix", 64);
            return this;
        }

        /** The owner id, also the connections' application name (PostgreSQL keeps 63 bytes of it). */
        public Builder ownerId(String ownerId) {
            this.ownerId = Arguments.requirePrintable(ownerId, "ownerId", 63);
            return this;
        }

        /**
     * The fencing-token sequence, {@code name} or {@code schema.name} in lower case (default
     * {@code dlock_fence}). Validated strictly, because it is written into SQL as a literal.
     */
        public Builder sequence(String sequence) {
            Objects.requireNonNull(sequence, "sequence");
            if (!IDENTIFIER.matcher(sequence).matches()) {
                throw new IllegalArgumentException("sequence must be a lower-case identifier like dlock_fence or app.dlock_fence: '" + sequence + "'");
            }
            this.sequence = sequence;
            return this;
        }

        /** Fallback retry delays for semaphore waiters (default exponential 10 ms to 500 ms); NOTIFY wakes them sooner. */
        public Builder retryStrategy(RetryStrategy retryStrategy) {
            this.retryStrategy = Objects.requireNonNull(retryStrategy, "retryStrategy");
            return this;
        }

        /**
         * For a pooler in transaction mode, such as PgBouncer with {@code pool_mode =
         * transaction} (default false): each lock is held by an open transaction
         * ({@code pg_advisory_xact_lock}) on a connection of its own, and no server-side prepared
         * statements are used (the provider's pool gets {@code prepareThreshold=0}; connections of
         * a caller's data source get it set when borrowed). Costs one connection per held lock;
         * semaphore waiters poll (no LISTEN through such a pooler). The keep-alive must be shorter
         * than the server's {@code idle_in_transaction_session_timeout}. Do not use it with
         * direct connections or session pooling: session locks multiplex and wake faster there.
         */
        public Builder transactionPooling(boolean transactionPooling) {
            this.transactionPooling = transactionPooling;
            return this;
        }

        /** @throws IllegalStateException if neither a JDBC URL nor a data source was given */
        public PostgresLockProvider build() {
            if (jdbcUrl == null && dataSource == null) throw new IllegalStateException("a jdbcUrl or a dataSource is required");
            description = jdbcUrl != null ? Arguments.redactUrl(jdbcUrl) : "postgresql (" + dataSource.getClass().getSimpleName() + ")";
            return new PostgresLockProvider(this);
        }
    }
}
