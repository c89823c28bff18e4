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
    private static final String LOCK_NOT_AVAILABLE = "55P03";
    private static final String QUERY_CANCELED = "57014";
    private static final String DEADLOCK_DETECTED = "40P01";
    private static final String DUPLICATE_TABLE = "42P07";
    private static final String UNIQUE_VIOLATION = "23505";

    private static final String HOLDERS_SQL = """
            SELECT l.mode, a.application_name, l.pid FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid::bigint = ? AND (l.objid::bigint = ? OR ? = 2) AND l.objsubid = ?""";

    private final DataSource dataSource;
    private final HikariDataSource ownPool;
    private final ProviderRuntime runtime;
    private final PostgresNotifications notifications;
    private final ExecutorService waits = Executors.newCachedThreadPool(ProviderRuntime.daemonThreads("dlock-postgres-wait"));
    private final ScheduledExecutorService keepAlive;
    private final Set<PostgresSession> sessions = ConcurrentHashMap.newKeySet();
    private final Object multiplexLock = new Object();
    private volatile PostgresSession multiplexed; // replaced (under multiplexLock) only when its session died
    /** Connections for waits and the locks they win; the rest of the pool serves the shared session, LISTEN and queries. */
    private final java.util.concurrent.Semaphore dedicatedConnections;
    private volatile boolean sequenceReady;
    private final String prefix;
    private final String ownerId;
    private final String sequence;
    private final RetryStrategy retryStrategy;

    private PostgresLockProvider(Builder b) {
        this.prefix = b.prefix;
        this.ownerId = b.ownerId != null ? b.ownerId : OwnerIds.generate();
        this.sequence = b.sequence;
        this.retryStrategy = b.retryStrategy != null ? b.retryStrategy : RetryStrategy.exponential(Duration.ofMillis(10), Duration.ofMillis(500));
        if (b.dataSource != null) {
            this.dataSource = b.dataSource;
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
            b.jdbcProperties.forEach(config::addDataSourceProperty);
            this.ownPool = new HikariDataSource(config);
            this.dataSource = ownPool;
        }
        this.dedicatedConnections = new java.util.concurrent.Semaphore(Math.max(1, b.poolSize - 3), true);
        this.notifications = new PostgresNotifications(dataSource);
        this.runtime = new ProviderRuntime(b.description, Ticker.system());
        this.keepAlive = Executors.newSingleThreadScheduledExecutor(ProviderRuntime.daemonThreads("dlock-postgres-keepalive"));
        long every = b.keepAlive.toMillis();
        keepAlive.scheduleWithFixedDelay(this::probeSessions, every, every, TimeUnit.MILLISECONDS);
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
        return runtime.readWriteLock(name, n -> new PostgresReadWriteLock.Read(this, n), n -> new PostgresReadWriteLock.Write(this, n));
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
        ensureSequenceExists();
        return new PostgresTransactionLocks(prefix, sequence, waits);
    }

    private void ensureSequenceExists() {
        if (sequenceReady) return;
        try (Connection c = connection()) {
            ensureSequence(c);
        } catch (SQLException e) {
            throw failure("cannot create the fencing sequence", e);
        }
    }

    /** Holders from {@code pg_locks} joined with {@code pg_stat_activity}; the owner id is the session's application name. */
    @Override
    public List<LockHolder> holders(String name) {
        Arguments.requireName(name, "name");
        runtime.ensureOpen();
        List<LockHolder> holders = new ArrayList<>();
        try (Connection c = connection(); PreparedStatement ps = c.prepareStatement(HOLDERS_SQL)) {
            collect(ps, Advisory.single(AdvisoryKeys.key(prefix, "mutex", name), false), pgMode -> LockMode.EXCLUSIVE, holders);
            collect(ps, Advisory.single(AdvisoryKeys.key(prefix, "rw", name), false),
                    pgMode -> pgMode.startsWith("Share") ? LockMode.READ : LockMode.WRITE, holders);
            collect(ps, Advisory.slot(AdvisoryKeys.semaphoreKey(prefix, name), 0), pgMode -> LockMode.PERMIT, holders);
        } catch (SQLException e) {
            throw failure("cannot read pg_locks", e);
        }
        return holders;
    }

    /** Adds the sessions holding {@code lock} (for a semaphore: any of its permits). */
    private static void collect(PreparedStatement ps, Advisory lock, java.util.function.Function<String, LockMode> mode, List<LockHolder> out)
            throws SQLException {
        long[] tag = lock.lockTag();
        ps.setLong(1, tag[0]);
        ps.setLong(2, tag[1]);
        ps.setLong(3, tag[2]);
        ps.setInt(4, (int) tag[2]);
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String owner = rs.getString(2);
                out.add(OwnerIds.holder(owner == null || owner.isEmpty() ? "backend-" + rs.getInt(3) : owner, mode.apply(rs.getString(1))).build());
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
            waits.shutdownNow();
            notifications.close();
            sessions.forEach(s -> s.close(true));
            if (ownPool != null) ownPool.close();
        }
    }

    @Override
    public String toString() {
        return "PostgresLockProvider{" + runtime.description() + "}";
    }

    // ---- used by the acquirers and held locks ----

    /** One try on the shared session (or, for a key already held there, on a fresh one). */
    PostgresHeldLock tryOnce(PostgresAcquirer acquirer) {
        List<Advisory> heldHere = new ArrayList<>();
        PostgresSession session = multiplexedSession();
        for (Advisory lock : acquirer.candidates()) {
            if (session.holdsKey(lock)) {
                heldHere.add(lock);
                continue;
            }
            long token = tryLock(session, lock);
            if (token > 0) return hold(acquirer, session, lock, token);
        }
        for (Advisory lock : heldHere) {
            if (!dedicatedConnections.tryAcquire()) return null;
            PostgresSession dedicated = newDedicatedSession();
            long token = 0;
            try {
                token = tryLock(dedicated, lock);
                if (token > 0) return hold(acquirer, dedicated, lock, token);
            } finally {
                if (token <= 0) closeDedicated(dedicated);
            }
        }
        return null;
    }

    private long tryLock(PostgresSession session, Advisory lock) {
        try {
            return session.tryLock(lock, sequence);
        } catch (SQLException e) {
            if (session.isMultiplexed()) session.die("it failed: " + e.getMessage());
            throw failure("cannot try advisory lock", e);
        }
    }

    /**
     * Waits in the server (bounded by {@code lock_timeout}) on a session of its own. The
     * statement runs on a helper thread so that an interrupt of the caller can cancel it.
     */
    PostgresHeldLock waitInServer(PostgresAcquirer acquirer, Advisory lock, Deadline deadline) throws InterruptedException {
        if (deadline.isUnbounded()) dedicatedConnections.acquire();
        else if (!dedicatedConnections.tryAcquire(deadline.remainingNanos(), TimeUnit.NANOSECONDS)) return null;
        long remainingMs = deadline.isUnbounded() ? 0 : TimeUnit.NANOSECONDS.toMillis(deadline.remainingNanos());
        if (!deadline.isUnbounded() && remainingMs < 1) {
            dedicatedConnections.release();
            return null;
        }
        PostgresSession session;
        try {
            session = newSession(false, deadline);
        } catch (RuntimeException | InterruptedException e) {
            dedicatedConnections.release();
            throw e;
        }
        AtomicReference<Statement> running = new AtomicReference<>();
        Future<Long> wait = waits.submit(() -> waitStatement(session, lock, remainingMs, running));
        boolean handedOver = false;
        try {
            long token;
            try {
                token = wait.get();
            } catch (InterruptedException e) {
                cancel(running.get());
                try {
                    wait.get();
                } catch (ExecutionException ignored) {
                    // canceled, as asked
                } catch (InterruptedException again) {
                    Thread.currentThread().interrupt();
                }
                if (heldBySession(session, lock)) unlockQuietly(session, lock);
                throw e;
            } catch (ExecutionException e) {
                token = afterFailedWait(session, lock, e.getCause());
            }
            if (token <= 0) return null;
            session.tookByWaiting(lock);
            PostgresHeldLock held = hold(acquirer, session, lock, token);
            handedOver = true;
            return held;
        } finally {
            if (!handedOver) closeDedicated(session);
        }
    }

    private long waitStatement(PostgresSession session, Advisory lock, long timeoutMs, AtomicReference<Statement> running) throws SQLException {
        Connection c = session.connection();
        try (PreparedStatement set = c.prepareStatement("SELECT set_config('lock_timeout', ?, false)")) {
            set.setString(1, timeoutMs + "ms");
            set.executeQuery().close();
        }
        try (PreparedStatement ps = c.prepareStatement(lock.waitSql(sequence))) {
            running.set(ps);
            lock.bind(ps, 1);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } finally {
            running.set(null);
            try (Statement reset = c.createStatement()) {
                reset.execute("RESET lock_timeout");
            }
        }
    }

    /** A wait ended in an error: a timeout that may have raced the grant, a deadlock, or a failure. */
    private long afterFailedWait(PostgresSession session, Advisory lock, Throwable cause) {
        if (!(cause instanceof SQLException)) throw new LockBackendException("advisory lock wait failed: " + cause, cause);
        SQLException e = (SQLException) cause;
        String state = e.getSQLState();
        if (LOCK_NOT_AVAILABLE.equals(state) || QUERY_CANCELED.equals(state)) {
            if (!heldBySession(session, lock)) return 0;
            try (PreparedStatement ps = session.connection().prepareStatement("SELECT nextval(?::regclass)")) {
                ps.setString(1, sequence);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1); // granted just as the timeout fired: it is ours
                }
            } catch (SQLException again) {
                throw failure("cannot draw a fencing token", again);
            }
        }
        if (DEADLOCK_DETECTED.equals(state)) {
            throw new LockBackendException("PostgreSQL detected a deadlock while waiting for an advisory lock: this process holds "
                    + "a lock another waiter needs; take several locks with LockSet.acquireAll (one global order)", e);
        }
        throw failure("advisory lock wait failed", e);
    }

    private boolean heldBySession(PostgresSession session, Advisory lock) {
        long[] tag = lock.lockTag();
        try (PreparedStatement ps = session.connection().prepareStatement(Advisory.HELD_SQL)) {
            ps.setLong(1, tag[0]);
            ps.setLong(2, tag[1]);
            ps.setInt(3, (int) tag[2]);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        } catch (SQLException e) {
            return false; // the session is unusable; closing it frees anything it held
        }
    }

    private static void unlockQuietly(PostgresSession session, Advisory lock) {
        try {
            session.unlock(lock, null);
        } catch (SQLException e) {
            // the session is closed next, which frees the lock
        }
    }

    private static void cancel(Statement statement) {
        if (statement == null) return;
        try {
            statement.cancel();
        } catch (SQLException e) {
            // the wait ends by itself (timeout) if the cancel did not get through
        }
    }

    private PostgresHeldLock hold(PostgresAcquirer acquirer, PostgresSession session, Advisory lock, long token) {
        PostgresHeldLock held = new PostgresHeldLock(this, acquirer.name, token, session, lock, acquirer.notifyChannel());
        session.track(held);
        return held;
    }

    /** Called after a held lock was unlocked: gives back a dedicated session that holds nothing any more. */
    void released(PostgresSession session, PostgresHeldLock held) {
        if (session.untrack(held) && !session.isMultiplexed() && session.heldCount() == 0) closeDedicated(session);
    }

    /** The shared session for try-locks, pinned while the provider is open; replaced if it died. */
    private PostgresSession multiplexedSession() {
        PostgresSession current = multiplexed;
        if (current != null && !current.isDead()) return current;
        PostgresSession fresh = newSession(true); // borrowed outside the lock: borrowing may wait for the pool
        synchronized (multiplexLock) {
            if (multiplexed == null || multiplexed.isDead()) {
                multiplexed = fresh;
                return fresh;
            }
        }
        sessions.remove(fresh);
        fresh.close(false);
        return multiplexed;
    }

    /** A session of its own; the caller holds a permit of {@link #dedicatedConnections}. */
    private PostgresSession newDedicatedSession() {
        try {
            return newSession(false);
        } catch (RuntimeException e) {
            dedicatedConnections.release();
            throw e;
        }
    }

    private void closeDedicated(PostgresSession session) {
        if (sessions.remove(session)) {
            session.close(session.heldCount() > 0);
            dedicatedConnections.release();
        }
    }

    private PostgresSession newSession(boolean multiplex) {
        try {
            return newSession(multiplex, null);
        } catch (InterruptedException e) {
            throw new AssertionError("an unbounded borrow is not interruptible", e);
        }
    }

    /** A session on a newly borrowed connection; with a deadline, the borrow gives up at the deadline. */
    private PostgresSession newSession(boolean multiplex, Deadline deadline) throws InterruptedException {
        try {
            Connection c = deadline == null || deadline.isUnbounded() ? connection() : connectionBefore(deadline);
            try {
                if (!c.getAutoCommit()) c.setAutoCommit(true);
                ensureSequence(c);
            } catch (SQLException e) {
                c.close();
                throw e;
            }
            PostgresSession session = new PostgresSession(c, multiplex);
            sessions.add(session);
            return session;
        } catch (SQLException e) {
            throw failure("cannot get a database connection", e);
        }
    }

    /**
     * Borrows a connection, giving up when the deadline passes (the pool may be shared with an
     * application that exhausted it). A connection that arrives after the caller gave up is
     * closed, never leaked.
     */
    private Connection connectionBefore(Deadline deadline) throws SQLException, InterruptedException {
        AtomicReference<Object> handOver = new AtomicReference<>(); // the connection, or ABANDONED
        Future<Connection> borrow = waits.submit(() -> {
            Connection c = connection();
            if (!handOver.compareAndSet(null, c)) c.close(); // the caller gave up meanwhile
            return c;
        });
        try {
            return borrow.get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException | InterruptedException e) {
            if (!handOver.compareAndSet(null, ABANDONED)) ((Connection) handOver.get()).close(); // it came just now
            borrow.cancel(true);
            if (e instanceof InterruptedException) throw (InterruptedException) e;
            throw new LockBackendException("no database connection became available before the deadline ("
                    + deadline.timeout() + "): the connection pool is exhausted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SQLException) throw (SQLException) e.getCause();
            throw new LockBackendException("cannot get a database connection: " + e.getCause(), e.getCause());
        }
    }

    private static final Object ABANDONED = new Object();

    /**
     * Borrows a connection, not cut short by the caller's interrupt (bounded by the pool's
     * timeout; the interrupt status is kept for the wait that follows).
     */
    private Connection connection() throws SQLException {
        boolean interrupted = Thread.interrupted();
        try {
            while (true) {
                try {
                    return dataSource.getConnection();
                } catch (SQLException e) {
                    if (!(e.getCause() instanceof InterruptedException)) throw e;
                    interrupted = true; // interrupted while borrowing: borrow again, report the interrupt later
                    Thread.interrupted();
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private void ensureSequence(Connection c) throws SQLException {
        if (sequenceReady) return;
        try (Statement s = c.createStatement()) {
            s.execute("CREATE SEQUENCE IF NOT EXISTS " + sequence); // validated identifier
        } catch (SQLException e) {
            if (!DUPLICATE_TABLE.equals(e.getSQLState()) && !UNIQUE_VIOLATION.equals(e.getSQLState())) throw e;
        }
        sequenceReady = true;
    }

    private void probeSessions() {
        for (PostgresSession s : sessions) {
            if (s.probe(2)) continue;
            if (s.isMultiplexed()) sessions.remove(s); // replaced on next use
            else closeDedicated(s);
        }
    }

    private static LockBackendException failure(String what, SQLException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String reason = root == e ? e.getMessage() : e.getMessage() + ": " + root.getMessage();
        return new LockBackendException(what + ": " + reason + " (SQLSTATE " + e.getSQLState() + ")", e);
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

        /** @throws IllegalStateException if neither a JDBC URL nor a data source was given */
        public PostgresLockProvider build() {
            if (jdbcUrl == null && dataSource == null) throw new IllegalStateException("a jdbcUrl or a dataSource is required");
            description = jdbcUrl != null ? Arguments.redactUrl(jdbcUrl) : "postgresql (" + dataSource.getClass().getSimpleName() + ")";
            return new PostgresLockProvider(this);
        }
    }
}
