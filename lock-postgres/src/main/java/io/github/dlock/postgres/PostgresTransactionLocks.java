package io.github.dlock.postgres;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockTimeoutException;
import io.github.dlock.internal.Arguments;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Transaction-scoped locks ({@code pg_advisory_xact_lock}) on a caller's own connection: held
 * until that transaction commits or rolls back, with no handle to release. They use the same
 * keys as the provider's mutexes, so both exclude each other for the same name.
 *
 * <pre>{@code
 * connection.setAutoCommit(false);
 * long token = locks.transactionLocks().lock(connection, "orders:42", Duration.ofSeconds(5));
 * ... work in the same transaction ...
 * connection.commit();                     // releases the lock
 * }</pre>
 *
 * <p>A wait runs inside a SAVEPOINT with {@code SET LOCAL lock_timeout}: a timeout or interrupt
 * rolls back to the savepoint, so the caller's transaction stays usable and no setting leaks
 * into it.
 */
public final class PostgresTransactionLocks {
    private final String prefix;
    private final String sequence;
    private final PostgresConnections connections;

    PostgresTransactionLocks(String prefix, PostgresConnections connections) {
        this.prefix = prefix;
        this.sequence = connections.sequence();
        this.connections = connections;
    }

    /**
     * One attempt; returns the fencing token if the lock was taken.
     *
     * @throws IllegalArgumentException if the connection is in auto-commit mode (the lock would
     *     end with the statement)
     */
    public OptionalLong tryLock(Connection connection, String name) {
        long key = keyFor(connection, name);
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT CASE WHEN pg_try_advisory_xact_lock(?) THEN nextval('" + sequence + "') ELSE 0 END")) {
            ps.setLong(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long token = rs.getLong(1);
                return token > 0 ? OptionalLong.of(token) : OptionalLong.empty();
            }
        } catch (SQLException e) {
            throw new LockBackendException("cannot try a transaction lock: " + e.getMessage(), e);
        }
    }

    /**
     * Waits at most {@code timeout} for the lock and returns the fencing token.
     *
     * @throws LockTimeoutException if not granted in time; the transaction stays usable
     * @throws InterruptedException if interrupted; the wait is cancelled, the transaction stays usable
     * @throws LockBackendException on a deadlock (SQLSTATE 40P01) or database failure
     */
    public long lock(Connection connection, String name, Duration timeout) throws InterruptedException {
        Arguments.requireNonNegative(timeout, "timeout");
        long key = keyFor(connection, name);
        Long token;
        try {
            token = connections.runCancellable(running -> waitInSavepoint(connection, key, Math.max(1, timeout.toMillis()), running));
        } catch (SQLException e) {
            throw PostgresConnections.waitFailed(e, "transaction lock " + Arguments.describe(name));
        }
        if (token == null) throw new LockTimeoutException("timed out after " + timeout + " waiting for transaction lock " + Arguments.describe(name));
        return token;
    }

    /** Null on timeout or cancellation (the savepoint is rolled back); the token when granted. */
    private Long waitInSavepoint(Connection c, long key, long timeoutMs, AtomicReference<Statement> running) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SAVEPOINT dlock_wait");
        }
        try (PreparedStatement set = c.prepareStatement("SELECT current_setting('lock_timeout'), set_config('lock_timeout', ?, true)")) {
            set.setString(1, timeoutMs + "ms");
            String previous;
            try (ResultSet rs = set.executeQuery()) {
                rs.next();
                previous = rs.getString(1);
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT nextval('" + sequence + "') FROM (SELECT pg_advisory_xact_lock(?)) AS granted")) {
                running.set(ps);
                ps.setLong(1, key);
                long token;
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    token = rs.getLong(1);
                } finally {
                    running.set(null);
                }
                // Keep the lock (it now belongs to the transaction) but give the caller back their
                // lock_timeout, then fold the savepoint into the transaction.
                try (PreparedStatement restore = c.prepareStatement("SELECT set_config('lock_timeout', ?, true)")) {
                    restore.setString(1, previous);
                    restore.executeQuery().close();
                }
                try (Statement s = c.createStatement()) {
                    s.execute("RELEASE SAVEPOINT dlock_wait");
                }
                return token;
            }
        } catch (SQLException e) {
            try (Statement s = c.createStatement()) {
                s.execute("ROLLBACK TO SAVEPOINT dlock_wait");
                s.execute("RELEASE SAVEPOINT dlock_wait");
            }
            if (PostgresConnections.isTimeoutOrCancel(e)) return null;
            throw e;
        }
    }

    private long keyFor(Connection connection, String name) {
        Objects.requireNonNull(connection, "connection");
        Arguments.requireName(name, "name");
        try {
            if (connection.getAutoCommit()) {
                throw new IllegalArgumentException("connection must not be in auto-commit mode: a transaction lock would end with its statement");
            }
        } catch (SQLException e) {
            throw new LockBackendException("cannot inspect the connection: " + e.getMessage(), e);
        }
        return AdvisoryKeys.key(prefix, "mutex", name);
    }
}
