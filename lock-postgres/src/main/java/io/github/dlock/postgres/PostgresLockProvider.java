package io.github.dlock.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
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
import io.github.dlock.spi.Deadline;
import io.github.dlock.internal.OwnerIds;
import io.github.dlock.internal.ProviderRuntime;
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
 * locks share a few pinned connections (many locks, one connection); an acquire that must wait
 * waits inside the server on one of a bounded number of waiting sessions (further waiters queue
 * in this process, in order) and is woken the moment the lock is free. A connection goes back
 * to the pool only when it provably holds nothing; any other is closed and its slot freed
 * (one way out per connection). A keep-alive probes the connections that hold locks every
 * {@link Builder#keepAlive} and completes {@code lost()} for every lock of a session that died.
 * Fencing tokens come from an unlogged counter drawn in the acquiring statement, in epochs that
 * a durable table records (see {@code PostgresFence}; created if absent).
 * Keys: see {@link AdvisoryKeys}.
 */
public final class PostgresLockProvider implements LockProvider {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PostgresLockProvider.class);
    private static final int BORROW_SLICE_MS = 250;
    private static final Duration MAX_SETTING = Duration.ofDays(1);
    /** {@code [schema.]name}: a name leaves room for the {@code _epoch} suffix of the epoch table within PostgreSQL's 63 characters. */
    private static final Pattern SEQUENCE = Pattern.compile("([a-z_][a-z0-9_]{0,62}\\.)?[a-z_][a-z0-9_]{0,56}");

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
    private final WaitingSessions waitingSessions;
    private final String prefix;
    private final String ownerId;
    private final boolean customOwner;
    private final RetryStrategy retryStrategy;
    private final boolean transactional;

    private PostgresLockProvider(Builder b) {
        this.prefix = b.prefix;
        this.customOwner = b.ownerId != null;
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
            config.setConnectionTimeout(BORROW_SLICE_MS); // borrows loop in slices up to the caller's deadline (PostgresConnections)
            config.setInitializationFailTimeout(-1); // open even while the database is down; calls fail until it is up
            config.setPoolName("dlock");
            config.addDataSourceProperty("ApplicationName", applicationName(ownerId, customOwner));
            config.addDataSourceProperty("tcpKeepAlive", "true");
            if (b.transactionPooling) config.addDataSourceProperty("prepareThreshold", "0");
            b.jdbcProperties.forEach(config::addDataSourceProperty);
            this.ownPool = new HikariDataSource(config);
            dataSource = ownPool;
        }
        this.transactional = b.transactionPooling;
        // the provider's own pool already has prepareThreshold=0; a caller's connections get it when borrowed
        this.connections = new PostgresConnections(dataSource, ownPool != null, b.poolSize, new PostgresFence(b.sequence, b.timeout),
                b.transactionPooling && b.dataSource != null, b.timeout);
        int probeTimeout = (int) Math.max(1, Math.min(5, b.keepAlive.toSeconds()));
        // Connection budget (poolSize P): shared sessions P/2 (session mode), the listener, and
        // the waiting sessions; held locks won by waiting (and every lock in transaction mode) pin
        // one connection each on top, borrowed within the caller's deadline.
        int maxShared = Math.max(1, b.poolSize / 2);
        int waiting = b.transactionPooling ? Math.max(1, b.poolSize / 2) : Math.max(1, b.poolSize - maxShared - 2);
        this.waitingSessions = new WaitingSessions(waiting);
        this.locking = b.transactionPooling
                ? new TransactionLocking(connections, waitingSessions, probeTimeout)
                : new SessionLocking(connections, waitingSessions, maxShared, probeTimeout);
        this.notifications = new PostgresNotifications(dataSource, !b.transactionPooling);
        this.runtime = new ProviderRuntime("postgresql", b.description, Ticker.system());
        this.keepAlive = Executors.newSingleThreadScheduledExecutor(ProviderRuntime.daemonThreads("dlock-postgres-keepalive"));
        long every = b.keepAlive.toMillis();
        keepAlive.scheduleWithFixedDelay(this::probe, every, every, TimeUnit.MILLISECONDS);
    }

    private void probe() {
        try {
            locking.probe();
        } catch (RuntimeException e) {
            LOG.warn("Keep-alive round failed; the next one retries", e); // a thrown exception would end the schedule
        }
    }

    /**
     * The connections' application name: the owner id, which for a default id already says
     * {@code host:pid:uuid}; a custom owner gets {@code @host:pid} appended (as far as
     * PostgreSQL's 63 bytes allow), so that {@code holders()} always says where a holder runs.
     */
    static String applicationName(String ownerId, boolean custom) {
        if (!custom) return ownerId;
        String where = ":" + OwnerIds.pid();
        int room = 63 - ownerId.getBytes(java.nio.charset.StandardCharsets.UTF_8).length - 1 - where.length();
        if (room < 1) return ownerId;
        String host = OwnerIds.localHost();
        while (host.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > room) host = host.substring(0, host.length() - 1);
        return ownerId + "@" + host + where;
    }

    private static final Pattern WITH_HOST_AND_PID = Pattern.compile("(.+)@([^@]*):([0-9]{1,19})");

    /** A holder from a session's application name, with host and pid where the name carries them. */
    private static LockHolder.Builder holderOf(String applicationName, LockMode mode) {
        java.util.regex.Matcher m = WITH_HOST_AND_PID.matcher(applicationName);
        if (m.matches()) {
            try {
                return LockHolder.builder(m.group(1), mode).host(m.group(2)).pid(Long.parseLong(m.group(3)));
            } catch (NumberFormatException e) {
                // not ours after all
            }
        }
        return OwnerIds.holder(applicationName, mode);
    }

    /**
     * Starts configuring a provider.
     *
     * @return a new builder; set a {@link Builder#jdbcUrl(String) JDBC URL} or a
     *     {@link Builder#dataSource(DataSource) data source}
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public DistributedLock lock(String name) {
        return runtime.lock(name, n -> new PostgresMutex(this, n));
    }

    @Override
    public DistributedReadWriteLock readWriteLock(String name) {
        return runtime.readWriteLock(name, n -> new PostgresReadWriteLock(this, n, true), n -> new PostgresReadWriteLock(this, n, false));
    }

    @Override
    public DistributedSemaphore semaphore(String name, int permits) {
        return runtime.semaphore(name, permits, (n, p) -> new PostgresSemaphore(this, n, p), this::holders);
    }

    /**
     * A mutex on the explicit advisory key {@code key} instead of a hashed name, for working
     * together with code that calls {@code pg_advisory_lock(key)} itself: each excludes the
     * other. Its name is {@code "advisory:" + key}.
     *
     * @param key the advisory key, as passed to {@code pg_advisory_lock(bigint)}
     * @return a mutex on that key
     * @throws IllegalStateException if the provider is closed
     */
    public DistributedLock advisoryLock(long key) {
        return runtime.lock("advisory:" + key, n -> new PostgresMutex(this, n, key));
    }

    /**
     * Transaction-scoped locks on a caller's own connection, with this provider's keys and sequence.
     * Borrows one connection briefly, which creates the fencing sequence if it is absent.
     *
     * @return a new view of the transaction-scoped locks
     * @throws IllegalStateException if the provider is closed
     * @throws LockBackendException if no connection can be had within the provider's timeout, or
     *     the database fails
     */
    public PostgresTransactionLocks transactionLocks() {
        runtime.ensureOpen();
        Connection c = borrowForQuery(); // borrowing created the fencing sequence if it was absent
        connections.giveBack(c);
        return new PostgresTransactionLocks(prefix, connections, runtime);
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
        Connection c = borrowForQuery();
        boolean clean = false;
        try (PreparedStatement ps = c.prepareStatement(HOLDERS_SQL)) {
            collect(ps, Advisory.single(AdvisoryKeys.key(prefix, "mutex", name), false), pgMode -> LockMode.EXCLUSIVE, holders);
            collect(ps, Advisory.single(AdvisoryKeys.key(prefix, "rw", name), false),
                    pgMode -> pgMode.startsWith("Share") ? LockMode.READ : LockMode.WRITE, holders);
            collect(ps, Advisory.slot(AdvisoryKeys.semaphoreKey(prefix, name), 0), pgMode -> LockMode.PERMIT, holders);
            clean = true;
        } catch (SQLException e) {
            throw PostgresConnections.failure("cannot read pg_locks", e);
        } finally {
            if (clean) connections.giveBack(c);
            else connections.discard(c);
        }
        return holders;
    }

    /**
     * A connection for a query that takes no lock, borrowed within the provider's timeout; not cut
     * short by the caller's interrupt (the interrupt status is kept).
     */
    private Connection borrowForQuery() {
        boolean interrupted = Thread.interrupted();
        try {
            while (true) {
                try {
                    return connections.borrow(Deadline.after(Duration.ZERO, Ticker.system()));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
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
                LockHolder.Builder holder = holderOf(owner == null || owner.isEmpty() ? "backend-" + rs.getInt(3) : owner, mode.apply(rs.getString(1)));
                // PostgreSQL records no grant time; a transaction-scoped lock is as old as its transaction at most
                if (transactional && rs.getTimestamp(4) != null) holder.since(rs.getTimestamp(4).toInstant());
                out.add(holder.build());
            }
        }
    }

    /** Connections of the provider's own pool in use now (for tests' pool accounting); -1 with a caller's data source. */
    int connectionsInUse() {
        return ownPool == null || ownPool.getHikariPoolMXBean() == null ? -1 : ownPool.getHikariPoolMXBean().getActiveConnections();
    }

    /**
     * The owner id, also the application name of this provider's connections.
     *
     * @return the id set with {@link Builder#ownerId(String)}, or the generated
     *     {@code host:pid:uuid}
     */
    public String ownerId() {
        return ownerId;
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
     * Releases every lock still held, then ends every session (connections that hold nothing go
     * back to the pool; any other is closed and its slot freed), stops the listener and, if the
     * provider made its pool, closes it. Waiters still in the server fail.
     */
    @Override
    public void close() {
        try {
            runtime.close();
        } finally {
            keepAlive.shutdownNow();
            locking.close();
            notifications.close();
            connections.close();
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

    WaitingSessions waitingSessions() {
        return waitingSessions;
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
        private int poolSize = 20;
        private Duration timeout = Duration.ofSeconds(5);
        private Duration keepAlive = Duration.ofSeconds(5);
        private String prefix = "dlock";
        private String ownerId;
        private String sequence = "dlock_fence";
        private RetryStrategy retryStrategy;
        private boolean transactionPooling;
        private String description;

        private final Set<String> set = new java.util.HashSet<>();

        private Builder() {}

        private void once(String option) {
            if (!set.add(option)) throw new IllegalStateException(option + " was already set");
        }

        /**
         * {@code jdbc:postgresql://host:port/db}; the provider pools connections with HikariCP.
         *
         * @param jdbcUrl the pgjdbc URL, starting with {@code jdbc:postgresql:}
         * @return this builder
         * @throws IllegalArgumentException if the URL does not start with {@code jdbc:postgresql:}
         * @throws NullPointerException if {@code jdbcUrl} is null
         * @throws IllegalStateException if a JDBC URL or a data source was already set
         */
        public Builder jdbcUrl(String jdbcUrl) {
            if (this.jdbcUrl != null || dataSource != null) throw new IllegalStateException("jdbcUrl or dataSource was already set");
            Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            if (!jdbcUrl.startsWith("jdbc:postgresql:")) throw new IllegalArgumentException("jdbcUrl must start with jdbc:postgresql: " + Arguments.redactUrl(jdbcUrl));
            this.jdbcUrl = jdbcUrl;
            return this;
        }

        /**
         * A caller's data source instead of a URL; its connections must be PostgreSQL (pgjdbc) connections in auto-commit.
         * The provider does not close it.
         *
         * @param dataSource the data source to borrow connections from
         * @return this builder
         * @throws NullPointerException if {@code dataSource} is null
         * @throws IllegalStateException if a JDBC URL or a data source was already set
         */
        public Builder dataSource(DataSource dataSource) {
            if (this.jdbcUrl != null || this.dataSource != null) throw new IllegalStateException("jdbcUrl or dataSource was already set");
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /**
         * Credentials for {@link #jdbcUrl}; never logged. Not used with a {@link #dataSource}.
         *
         * @param user the database user
         * @param password the password, or {@code null} for none
         * @return this builder
         * @throws NullPointerException if {@code user} is null
         * @throws IllegalStateException if credentials were already set
         */
        public Builder credentials(String user, String password) {
            if (this.user != null) throw new IllegalStateException("credentials were already set");
            this.user = Objects.requireNonNull(user, "user");
            this.password = password;
            return this;
        }

        /**
         * A pgjdbc connection property such as {@code sslmode}. Set on the provider's own pool;
         * not used with a {@link #dataSource}.
         *
         * @param name the property's name
         * @param value the property's value
         * @return this builder
         * @throws NullPointerException if {@code name} or {@code value} is null
         * @throws IllegalStateException if this property was already set
         */
        public Builder jdbcProperty(String name, String value) {
            if (jdbcProperties.containsKey(name)) throw new IllegalStateException("jdbcProperty " + name + " was already set");
            jdbcProperties.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Connections the provider uses at most (default 20, at least 2; opened only as needed):
         * its own pool's size, or with {@link #dataSource} how many of the caller's connections it
         * takes at once. They serve the shared sessions (half), the LISTEN connection and the waiting sessions;
         * locks won by waiting, and every lock in transaction-pooling mode, pin one each.
         *
         * @param poolSize the most connections, 2 to 10,000
         * @return this builder
         * @throws IllegalArgumentException if {@code poolSize} is below 2 or above 10,000
         * @throws IllegalStateException if the pool size was already set
         */
        public Builder poolSize(int poolSize) {
            once("poolSize");
            if (poolSize < 2 || poolSize > 10_000) throw new IllegalArgumentException("poolSize must be within [2, 10000]: " + poolSize);
            this.poolSize = poolSize;
            return this;
        }

        /**
         * How long to wait for a pool connection before failing with {@link LockBackendException} (default 5 s).
         *
         * @param timeout the longest wait for a connection, at most a day
         * @return this builder
         * @throws IllegalArgumentException if {@code timeout} is shorter than 1 ms or longer than a day
         * @throws NullPointerException if {@code timeout} is null
         * @throws IllegalStateException if the timeout was already set
         */
        public Builder timeout(Duration timeout) {
            once("timeout");
            this.timeout = Arguments.requireMillis(timeout, "timeout", MAX_SETTING);
            return this;
        }

        /**
         * How often pinned sessions are probed (default 5 s); a dead session's locks are reported lost.
         *
         * @param keepAlive the pause between probe rounds, counted in whole milliseconds; at most
         *     a day
         * @return this builder
         * @throws IllegalArgumentException if {@code keepAlive} is shorter than 1 ms or longer than a
         *     day
         * @throws NullPointerException if {@code keepAlive} is null
         * @throws IllegalStateException if the keep-alive was already set
         */
        public Builder keepAlive(Duration keepAlive) {
            once("keepAlive");
            this.keepAlive = Arguments.requireMillis(keepAlive, "keepAlive", MAX_SETTING);
            return this;
        }

        /**
         * Mixed into every key (default {@code dlock}), so applications sharing a database can keep apart.
         *
         * @param prefix the prefix: not blank, at most 64 characters, no control characters
         * @return this builder
         * @throws IllegalArgumentException if {@code prefix} is blank, too long or contains a
         *     control character
         * @throws NullPointerException if {@code prefix} is null
         * @throws IllegalStateException if the prefix was already set
         */
        public Builder prefix(String prefix) {
            once("prefix");
            this.prefix = Arguments.requirePrintable(prefix, "prefix", 64);
            return this;
        }

        /**
         * The owner id, also the connections' application name (PostgreSQL keeps 63 bytes of it).
         *
         * @param ownerId the id: not blank, at most 63 characters, no control characters
         * @return this builder
         * @throws IllegalArgumentException if {@code ownerId} is blank, too long or contains a
         *     control character
         * @throws NullPointerException if {@code ownerId} is null
         * @throws IllegalStateException if the owner id was already set
         */
        public Builder ownerId(String ownerId) {
            once("ownerId");
            this.ownerId = Arguments.requirePrintable(ownerId, "ownerId", 63);
            return this;
        }

        /**
     * The fencing-token counter, {@code name} or {@code schema.name} in lower case (default
     * {@code dlock_fence}): an unlogged sequence of that name and a one-row table
     * {@code name_epoch} beside it, both created if absent (see the README on fencing tokens).
     * Validated strictly, because it is written into SQL as a literal.
     *
     * @param sequence the sequence's name: lower-case letters, digits and underscores, not
     *     starting with a digit, at most 63 characters for the schema and 57 for the name
     * @return this builder
     * @throws IllegalArgumentException if {@code sequence} is not such a name
     * @throws NullPointerException if {@code sequence} is null
     * @throws IllegalStateException if the sequence was already set
     */
        public Builder sequence(String sequence) {
            once("sequence");
            Objects.requireNonNull(sequence, "sequence");
            if (!SEQUENCE.matcher(sequence).matches()) {
                throw new IllegalArgumentException("sequence must be a lower-case identifier like dlock_fence or app.dlock_fence: '" + sequence + "'");
            }
            this.sequence = sequence;
            return this;
        }

        /**
         * Fallback retry delays for semaphore waiters (default exponential 10 ms to 500 ms); NOTIFY
         * wakes them sooner. An attempt limit ({@link RetryStrategy#withMaxAttempts}) also bounds
         * waits the server performs (mutex, read-write lock): to the sum of the pauses that many
         * attempts would make.
         *
         * @param retryStrategy the strategy
         * @return this builder
         * @throws NullPointerException if {@code retryStrategy} is null
         * @throws IllegalStateException if the retry strategy was already set
         */
        public Builder retryStrategy(RetryStrategy retryStrategy) {
            once("retryStrategy");
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
         *
         * @param transactionPooling whether connections go through a pooler in transaction mode
         * @return this builder
         * @throws IllegalStateException if transaction pooling was already set
         */
        public Builder transactionPooling(boolean transactionPooling) {
            once("transactionPooling");
            this.transactionPooling = transactionPooling;
            return this;
        }

        /**
         * Creates the provider. With a JDBC URL, a database that is down does not make this fail;
         * calls fail with {@link LockBackendException} until it is up.
         *
         * @return a new, open provider
         * @throws IllegalStateException if neither a JDBC URL nor a data source was given
         */
        public PostgresLockProvider build() {
            if (jdbcUrl == null && dataSource == null) throw new IllegalStateException("a jdbcUrl or a dataSource is required");
            description = jdbcUrl != null ? Arguments.redactUrl(jdbcUrl) : "postgresql (" + dataSource.getClass().getSimpleName() + ")";
            return new PostgresLockProvider(this);
        }
    }
}
