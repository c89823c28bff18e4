package io.github.dlock.postgres;

import com.zaxxer.hikari.HikariDataSource;
import io.github.dlock.LockBackendException;
import io.github.dlock.spi.Deadline;
import io.github.dlock.spi.ProviderRuntime;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.postgresql.PGConnection;

/**
 * Where the provider's connections come from, and the waits it runs on them: borrowing that
 * survives the caller's interrupt or gives up at a deadline, the fencing sequence, statements
 * that an interrupt cancels, and the mapping of driver errors to {@link LockBackendException}.
 */
final class PostgresConnections implements AutoCloseable {
    static final String LOCK_NOT_AVAILABLE = "55P03";
    static final String QUERY_CANCELED = "57014";
    static final String DEADLOCK_DETECTED = "40P01";
    private static final String DUPLICATE_TABLE = "42P07";
    private static final String UNIQUE_VIOLATION = "23505";
    private static final Object ABANDONED = new Object();
    private static final long CANCEL_RETRY_MS = 100;

    private final DataSource dataSource;
    private final String sequence;
    private final boolean noServerPreparedStatements;
    private final ExecutorService helpers = Executors.newCachedThreadPool(ProviderRuntime.daemonThreads("dlock-postgres-wait"));
    private volatile boolean sequenceReady;

    /**
     * @param noServerPreparedStatements whether borrowed connections must be told not to create
     *     named server-side statements (a pooler in transaction mode moves clients between
     *     backends); false when the pool is configured that way already
     */
    PostgresConnections(DataSource dataSource, String sequence, boolean noServerPreparedStatements) {
        this.dataSource = dataSource;
        this.sequence = sequence;
        this.noServerPreparedStatements = noServerPreparedStatements;
    }

    DataSource dataSource() {
        return dataSource;
    }

    String sequence() {
        return sequence;
    }

    ExecutorService helpers() {
        return helpers;
    }

    /**
     * Borrows a connection, not cut short by the caller's interrupt (bounded by the pool's
     * timeout; the interrupt status is kept for the wait that follows).
     */
    Connection borrow() throws SQLException {
        boolean interrupted = Thread.interrupted();
        try {
            while (true) {
                try {
                    return prepared(dataSource.getConnection());
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

    /**
     * Borrows a connection, giving up when the deadline passes (the pool may be shared with an
     * application that exhausted it). A connection that arrives after the caller gave up is
     * closed, never leaked. An unbounded deadline borrows as {@link #borrow()} does.
     *
     * @return the connection, or null if the deadline passed while a pool with room was still
     *     opening one (the caller's wait simply timed out)
     * @throws LockBackendException if the deadline passed because the pool was exhausted
     */
    Connection borrowBefore(Deadline deadline) throws SQLException, InterruptedException {
        if (deadline.isUnbounded()) return borrow();
        AtomicReference<Object> handOver = new AtomicReference<>(); // the connection, or ABANDONED
        Future<Connection> borrow = helpers.submit(() -> {
            Connection c = borrow();
            if (!handOver.compareAndSet(null, c)) c.close(); // the caller gave up meanwhile
            return c;
        });
        try {
            return borrow.get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | InterruptedException e) {
            if (!handOver.compareAndSet(null, ABANDONED)) ((Connection) handOver.get()).close(); // it came just now
            borrow.cancel(true);
            if (e instanceof InterruptedException) throw (InterruptedException) e;
            if (!poolExhausted()) return null;
            throw new LockBackendException("no database connection became available before the deadline ("
                    + deadline.timeout() + "): the connection pool is exhausted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SQLException) throw (SQLException) e.getCause();
            throw new LockBackendException("cannot get a database connection: " + e.getCause(), e.getCause());
        }
    }

    /** Whether every connection of the pool is in use; true when the data source cannot tell. */
    private boolean poolExhausted() {
        if (dataSource instanceof HikariDataSource hikari && hikari.getHikariPoolMXBean() != null) {
            return hikari.getHikariPoolMXBean().getActiveConnections() >= hikari.getMaximumPoolSize();
        }
        return true;
    }

    private Connection prepared(Connection c) throws SQLException {
        try {
            if (noServerPreparedStatements) c.unwrap(PGConnection.class).setPrepareThreshold(0);
            ensureSequence(c);
            return c;
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** Creates the fencing sequence if absent (once per provider). */
    private void ensureSequence(Connection c) throws SQLException {
        if (sequenceReady) return;
        boolean autoCommit = c.getAutoCommit();
        if (!autoCommit) c.setAutoCommit(true);
        try (Statement s = c.createStatement()) {
            s.execute("CREATE SEQUENCE IF NOT EXISTS " + sequence); // validated identifier
        } catch (SQLException e) {
            if (!DUPLICATE_TABLE.equals(e.getSQLState()) && !UNIQUE_VIOLATION.equals(e.getSQLState())) throw e;
        }
        sequenceReady = true;
    }

    /** A statement that blocks in the server; it publishes itself in {@code running} so that it can be cancelled. */
    interface BlockingStatement<T> {
        T run(AtomicReference<Statement> running) throws SQLException;
    }

    /**
     * Runs {@code work} on a helper thread so that an interrupt of the caller cancels its
     * statement. On interrupt it returns (by throwing) only after the statement ended, so the
     * caller may clean up its connection, which it must then discard: a late cancel request
     * could otherwise hit the next borrower's statement.
     *
     * @throws SQLException the statement's own failure (including the cancellation's 57014)
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

    /**
     * Sets {@code lock_timeout} (for the transaction when {@code transactional}, else for the
     * session), then waits in the server for {@code lock} and returns its fencing token. The
     * waiting statement is published in {@code running} so that it can be cancelled.
     */
    long waitForLock(Connection c, Advisory lock, long timeoutMs, boolean transactional, AtomicReference<Statement> running) throws SQLException {
        try (java.sql.PreparedStatement set = c.prepareStatement("SELECT set_config('lock_timeout', ?, ?)")) {
            set.setString(1, timeoutMs + "ms");
            set.setBoolean(2, transactional);
            set.executeQuery().close();
        }
        try (java.sql.PreparedStatement ps = c.prepareStatement(lock.waitSql(sequence, transactional))) {
            running.set(ps);
            lock.bind(ps, 1);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            } finally {
                running.set(null);
            }
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

    /** Whether a failed wait only timed out or was cancelled (as opposed to failing). */
    static boolean isTimeoutOrCancel(SQLException e) {
        return LOCK_NOT_AVAILABLE.equals(e.getSQLState()) || QUERY_CANCELED.equals(e.getSQLState());
    }

    /**
     * The exception for a wait on {@code what} that failed other than by timeout: a deadlock
     * (40P01) says so and how to avoid it; anything else is a backend failure.
     */
    static LockBackendException waitFailed(SQLException e, String what) {
        if (!DEADLOCK_DETECTED.equals(e.getSQLState())) return failure("wait for " + what + " failed", e);
        return new LockBackendException("PostgreSQL detected a deadlock while waiting for " + what + ": this process holds "
                + "a lock another waiter needs; take several locks in one global order (LockSet.acquireAll does)", e);
    }

    static LockBackendException failure(String what, SQLException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String reason = root == e ? e.getMessage() : e.getMessage() + ": " + root.getMessage();
        return new LockBackendException(what + ": " + reason + " (SQLSTATE " + e.getSQLState() + ")", e);
    }

    @Override
    public void close() {
        helpers.shutdownNow();
    }
}
