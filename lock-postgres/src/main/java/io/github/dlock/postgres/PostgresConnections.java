package io.github.dlock.postgres;

import com.zaxxer.hikari.HikariDataSource;
import io.github.dlock.LockBackendException;
import io.github.dlock.spi.Deadline;
import io.github.dlock.internal.ProviderRuntime;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the provider's connections come from and go back to, and the waits it runs on them.
 *
 * <ul>
 *   <li>{@link #borrow(Deadline)}: a connection within the caller's deadline; a refused,
 *       unauthenticated or unknown-database connection fails at once with the server's reason,
 *       an exhausted pool fails when the deadline passes, an interrupt ends the borrow.
 *   <li>The two ways back, chosen by {@link PostgresSession#end()}: {@link #giveBack} for a
 *       connection that provably holds nothing, {@link #discard} for every other one (the
 *       physical connection is closed <em>and</em> its pool slot freed).
 *   <li>{@link #runCancellable}: a statement that an interrupt of the caller cancels.
 *   <li>Errors: classified by SQLSTATE ({@link #isConnectionFailure}), mapped to
 *       {@link LockBackendException} with the server's reason.
 * </ul>
 *
 * <p>With a caller's {@link DataSource}, at most {@code maxConnections} of its connections are
 * in dlock's hands at once.
 */
final class PostgresConnections implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresConnections.class);
    static final String LOCK_NOT_AVAILABLE = "55P03";
    static final String DEADLOCK_DETECTED = "40P01";
    private static final String DUPLICATE_TABLE = "42P07";
    private static final String UNIQUE_VIOLATION = "23505";
    private static final Object ABANDONED = new Object();
    private static final long CANCEL_RETRY_MS = 100;
    /** {@code lock_timeout} is an int of milliseconds: longer waits run in slices of this length. */
    static final long MAX_LOCK_TIMEOUT_MS = Integer.MAX_VALUE;

    private final DataSource dataSource;
    private final HikariDataSource hikari; // the provider's own pool or a caller's HikariCP pool; null otherwise
    private final boolean ownPool;
    private final PostgresFence fence;
    private final boolean noServerPreparedStatements;
    private final long timeoutNanos;
    private final Semaphore foreignConnections; // null for the provider's own pool
    private final ExecutorService helpers = Executors.newCachedThreadPool(ProviderRuntime.daemonThreads("dlock-postgres-wait"));
    private volatile boolean fenceReady;

    /**
     * @param ownPool whether {@code dataSource} is the provider's own HikariCP pool (short
     *     connection timeout, sliced borrows); otherwise a caller's, of which at most
     *     {@code maxConnections} are borrowed at once
     * @param noServerPreparedStatements whether borrowed connections must be told not to create
     *     named server-side statements (a pooler in transaction mode moves clients between
     *     backends); false when the pool is configured that way already
     * @param timeout how long a borrow with no deadline of its own (a try) may take
     */
    PostgresConnections(DataSource dataSource, boolean ownPool, int maxConnections, PostgresFence fence, boolean noServerPreparedStatements,
            Duration timeout) {
        this.dataSource = dataSource;
        this.hikari = dataSource instanceof HikariDataSource h ? h : null;
        this.ownPool = ownPool;
        this.fence = fence;
        this.noServerPreparedStatements = noServerPreparedStatements;
        this.timeoutNanos = timeout.toNanos();
        this.foreignConnections = ownPool ? null : new Semaphore(maxConnections, true);
    }

    PostgresFence fence() {
        return fence;
    }

    /**
     * Lends a connection of the pool (borrowed within the provider's {@code timeout}) to
     * {@code work}: given back if the work returned normally (it must leave the connection in
     * auto-commit mode, holding nothing), discarded otherwise.
     *
     * @throws SQLException the work's failure, or why no connection could be borrowed (also on
     *     interrupt, with the thread's interrupt status kept)
     */
    void lend(PostgresFence.ConnectionWork work) throws SQLException {
        Connection c;
        try {
            c = borrow(Deadline.after(Duration.ZERO, io.github.dlock.spi.Ticker.system()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while borrowing a connection", e);
        } catch (LockBackendException e) {
            throw new SQLException(e.getMessage(), e);
        }
        if (c == null) throw new SQLException("no database connection became available within " + Duration.ofNanos(timeoutNanos));
        boolean done = false;
        try {
            work.run(c);
            done = true;
        } finally {
            if (done) giveBack(c);
            else discard(c);
        }
    }

    ExecutorService helpers() {
        return helpers;
    }

    /**
     * Borrows a connection no later than {@code deadline}; an immediate deadline (a try) may take
     * up to the provider's {@code timeout} to open one, and an unbounded one waits for a busy pool
     * as long as it takes.
     *
     * @return the connection, or null if a bounded deadline passed while the pool was still
     *     opening a connection (the caller's wait simply timed out)
     * @throws LockBackendException with the server's reason if no connection can be opened, or
     *     if the deadline passed because every connection was in use
     * @throws InterruptedException if the thread was interrupted; nothing is borrowed
     */
    Connection borrow(Deadline deadline) throws InterruptedException {
        long budget = deadline.isImmediate() ? timeoutNanos : deadline.remainingNanos();
        long end = budget == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + budget;
        if (foreignConnections != null) {
            if (!foreignConnections.tryAcquire(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw exhausted(deadline, "dlock already uses as many connections of the data source as poolSize allows");
            }
        }
        boolean handedOut = false;
        try {
            Connection c = ownPool ? borrowSliced(deadline, end) : borrowForeign(deadline, end);
            handedOut = c != null;
            return c;
        } finally {
            if (!handedOut && foreignConnections != null) foreignConnections.release();
        }
    }

    /** The provider's own pool: its connection timeout is short, so a borrow is a loop that can tell a dead server from a busy pool. */
    private Connection borrowSliced(Deadline deadline, long end) throws InterruptedException {
        while (true) {
            if (Thread.interrupted()) throw new InterruptedException();
            try {
                return prepared(dataSource.getConnection());
            } catch (SQLException e) {
                if (e.getCause() instanceof InterruptedException) throw interrupted(e);
                if (!(e instanceof SQLTransientConnectionException)) throw failure("cannot get a database connection", e);
                if (e.getCause() != null && openConnections() == 0) throw failure("cannot connect to the database", e.getCause()); // the server's reason
                if (System.nanoTime() - end >= 0) {
                    if (poolExhausted()) throw exhausted(deadline, "the connection pool is exhausted");
                    if (deadline.isImmediate()) {
                        throw new LockBackendException("cannot get a database connection within " + Duration.ofNanos(timeoutNanos)
                                + (e.getCause() != null ? ": " + e.getCause().getMessage() : ""), e);
                    }
                    return null;
                }
            }
        }
    }

    /**
     * A caller's data source, whose own timeout may be long: the borrow runs on a helper thread
     * and gives up at the deadline; a connection that arrives after the caller gave up is given
     * back, never leaked.
     */
    private Connection borrowForeign(Deadline deadline, long end) throws InterruptedException {
        AtomicReference<Object> handOver = new AtomicReference<>(); // the connection, or ABANDONED
        Future<Connection> borrow = helpers.submit(() -> {
            Connection c = prepared(dataSource.getConnection());
            if (!handOver.compareAndSet(null, c)) c.close(); // the caller gave up meanwhile; it holds nothing
            return c;
        });
        try {
            long wait = end == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(0, end - System.nanoTime());
            return wait == Long.MAX_VALUE ? borrow.get() : borrow.get(wait, TimeUnit.NANOSECONDS);
        } catch (TimeoutException | InterruptedException e) {
            if (!handOver.compareAndSet(null, ABANDONED)) closeQuietly((Connection) handOver.get()); // it came just now, holding nothing
            borrow.cancel(true);
            if (e instanceof InterruptedException) throw (InterruptedException) e;
            if (poolExhausted()) throw exhausted(deadline, "the connection pool is exhausted");
            if (deadline.isImmediate()) throw new LockBackendException("cannot get a database connection within " + Duration.ofNanos(timeoutNanos));
            return null;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof SQLException sql) {
                if (cause.getCause() instanceof InterruptedException) throw interrupted(sql);
                throw failure("cannot get a database connection", sql.getCause() != null && openConnections() == 0 ? sql.getCause() : sql);
            }
            if (cause instanceof LockBackendException backend) throw backend;
            throw new LockBackendException("cannot get a database connection: " + cause, cause);
        }
    }

    private static InterruptedException interrupted(SQLException e) {
        InterruptedException i = new InterruptedException("interrupted while borrowing a database connection");
        i.initCause(e);
        return i;
    }

    private LockBackendException exhausted(Deadline deadline, String why) {
        String when = deadline.isImmediate() ? "within " + Duration.ofNanos(timeoutNanos) : "before the deadline (" + deadline.timeout() + ")";
        return new LockBackendException("no database connection became available " + when + ": " + why);
    }

    /**
     * Whether a borrow would not wait: the pool has an idle connection or room to open one, and
     * (with a caller's data source) dlock's share of it has room. True when the pool cannot tell.
     */
    boolean hasSpare() {
        if (foreignConnections != null && foreignConnections.availablePermits() == 0) return false;
        if (hikari == null || hikari.getHikariPoolMXBean() == null) return true;
        return hikari.getHikariPoolMXBean().getIdleConnections() > 0
                || hikari.getHikariPoolMXBean().getTotalConnections() < hikari.getMaximumPoolSize();
    }

    /** The provider's {@code timeout}: also the server-side bound of statements on shared sessions. */
    long timeoutNanos() {
        return timeoutNanos;
    }

    /** Connections the pool has open; 1 (unknown but possibly some) for non-HikariCP data sources. */
    private int openConnections() {
        if (hikari == null || hikari.getHikariPoolMXBean() == null) return 1;
        return hikari.getHikariPoolMXBean().getTotalConnections();
    }

    /** Whether every connection of the pool is in use; true when the data source cannot tell. */
    private boolean poolExhausted() {
        if (hikari == null || hikari.getHikariPoolMXBean() == null) return true;
        return hikari.getHikariPoolMXBean().getActiveConnections() >= hikari.getMaximumPoolSize();
    }

    private Connection prepared(Connection c) throws SQLException {
        try {
            if (noServerPreparedStatements) c.unwrap(PGConnection.class).setPrepareThreshold(0);
            ensureFence(c);
            if (!c.getAutoCommit()) c.setAutoCommit(true);
            return c;
        } catch (SQLException | RuntimeException e) {
            closePhysically(c);
            throw e;
        }
    }

    /** Creates the fencing counter and epoch table if absent (once per provider; see {@link PostgresFence#create}). */
    private void ensureFence(Connection c) throws SQLException {
        if (fenceReady) return;
        boolean autoCommit = c.getAutoCommit();
        if (!autoCommit) c.setAutoCommit(true);
        try {
            fence.create(c);
        } catch (SQLException e) {
            // a concurrent CREATE ... IF NOT EXISTS may still collide on the catalog: the other one created it; once more finds it
            if (!DUPLICATE_TABLE.equals(e.getSQLState()) && !UNIQUE_VIOLATION.equals(e.getSQLState())) throw e;
            fence.create(c);
        }
        fenceReady = true;
    }

    /** Gives back a connection that provably holds nothing: no lock, no open transaction, no statement or cancel in flight. */
    void giveBack(Connection c) {
        try {
            c.close();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("Closing a pooled connection failed", e);
        } finally {
            if (foreignConnections != null) foreignConnections.release();
        }
    }

    /**
     * Closes the physical connection at once (the server then ends its session and every lock of
     * it) and frees its pool slot: HikariCP evicts it; any other pool gets {@code close()} after
     * the abort, which it must treat as a dead connection.
     */
    void discard(Connection c) {
        try {
            closePhysically(c);
        } finally {
            if (foreignConnections != null) foreignConnections.release();
        }
    }

    private void closePhysically(Connection c) {
        try {
            c.abort(Runnable::run);
        } catch (SQLException | RuntimeException e) {
            LOG.debug("Aborting a connection failed", e);
        }
        try {
            if (hikari != null && c.getClass().getName().startsWith("com.zaxxer.hikari")) hikari.evictConnection(c);
            else c.close();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("Closing an aborted connection failed", e);
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("Closing a connection failed", e);
        }
    }

    /** A statement that blocks in the server; it publishes itself in {@code running} so that it can be cancelled. */
    interface BlockingStatement<T> {
        T run(AtomicReference<Statement> running) throws SQLException;
    }

    /**
     * Runs {@code work} on a helper thread so that an interrupt of the caller cancels its
     * statement. On interrupt it returns (by throwing) only after the statement ended; whatever
     * the statement did is unknown then, so the caller must discard its connection (a late
     * cancel request could also hit the next borrower's statement).
     *
     * @throws SQLException the statement's own failure; a cancel (57014) seen here was never ours
     */
    <T> T runCancellable(BlockingStatement<T> work) throws SQLException, InterruptedException {
        AtomicReference<Statement> running = new AtomicReference<>();
        Future<T> wait = helpers.submit(() -> work.run(running));
        try {
            return wait.get();
        } catch (InterruptedException e) {
            boolean interruptedAgain = false;
            while (true) {
                // A cancel that reaches the server before the statement does is ignored (through a
                // pooler the window is wide), so cancel again until the statement has ended.
                cancel(running.get());
                try {
                    wait.get(CANCEL_RETRY_MS, TimeUnit.MILLISECONDS);
                    break;
                } catch (ExecutionException canceled) {
                    break;
                } catch (TimeoutException stillRunning) {
                    // cancel again
                } catch (InterruptedException again) {
                    interruptedAgain = true;
                }
            }
            if (interruptedAgain) Thread.currentThread().interrupt();
            throw e;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SQLException) throw (SQLException) e.getCause();
            if (e.getCause() instanceof RuntimeException) throw (RuntimeException) e.getCause();
            throw new LockBackendException("advisory lock wait failed: " + e.getCause(), e.getCause());
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

    /**
     * Whether the connection (and its session) is gone: SQLSTATE class {@code 08} (connection
     * exception) or {@code 57P} (operator intervention: terminated, shutdown, idle timeout).
     * Every other error failed only its statement.
     */
    static boolean isConnectionFailure(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("08") || state.startsWith("57P"));
    }

    /** Whether a failed wait only reached its {@code lock_timeout}, which dlock set from the caller's deadline. */
    static boolean isLockTimeout(SQLException e) {
        return LOCK_NOT_AVAILABLE.equals(e.getSQLState());
    }

    /** The {@code lock_timeout} for the next slice of a wait: 0 (none) when unbounded, else at least 1 ms and at most {@link #MAX_LOCK_TIMEOUT_MS}. */
    static long lockTimeoutMs(Deadline deadline) {
        if (deadline.isUnbounded()) return 0;
        return Math.max(1, Math.min(MAX_LOCK_TIMEOUT_MS, TimeUnit.NANOSECONDS.toMillis(deadline.remainingNanos())));
    }

    /**
     * The exception for a wait on {@code what} that failed other than by its own timeout: a
     * deadlock (40P01) says so and how to avoid it; anything else (a cancel or timeout that was
     * not ours, a failure after the grant) is a backend failure carrying the server's reason.
     */
    static LockBackendException waitFailed(SQLException e, String what) {
        if (!DEADLOCK_DETECTED.equals(e.getSQLState())) return failure("wait for " + what + " failed", e);
        return new LockBackendException("PostgreSQL detected a deadlock while waiting for " + what + ": this process holds "
                + "a lock another waiter needs; take several locks in one global order (LockSet.acquireAll does)", e);
    }

    static LockBackendException failure(String what, Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String reason = root == e ? e.getMessage() : e.getMessage() + ": " + root.getMessage();
        String state = e instanceof SQLException sql && sql.getSQLState() != null ? " (SQLSTATE " + sql.getSQLState() + ")" : "";
        return new LockBackendException(what + ": " + reason + state, e);
    }

    @Override
    public void close() {
        helpers.shutdownNow();
    }
}
