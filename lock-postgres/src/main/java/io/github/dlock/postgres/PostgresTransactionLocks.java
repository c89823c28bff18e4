package io.github.dlock.postgres;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockTimeoutException;
import io.github.dlock.internal.Arguments;
import io.github.dlock.internal.ProviderRuntime;
import io.github.dlock.spi.Deadline;
import io.github.dlock.spi.Ticker;
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
    private final PostgresFence fence;
    private final PostgresConnections connections;
    private final ProviderRuntime runtime;

    PostgresTransactionLocks(String prefix, PostgresConnections connections, ProviderRuntime runtime) {
        this.runtime = runtime;
        this.prefix = prefix;
        this.fence = connections.fence();
        this.connections = connections;
    }

    /**
     * One attempt; returns the fencing token if the lock was taken.
     *
     * @param connection the caller's connection, inside the transaction that is to hold the
     *     lock
     * @param name the lock's name; the provider's mutex of the same name excludes it
     * @return the fencing token, or empty if another session holds the lock
     * @throws IllegalArgumentException if the connection is in auto-commit mode (the lock would
     *     end with the statement), or the name is blank, too long or malformed Unicode
     * @throws NullPointerException if {@code connection} or {@code name} is null
     * @throws LockBackendException if the database fails (for example the transaction is
     *     already aborted); if the message says so (the lock was granted but no fencing token
     *     could be made), roll the transaction back
     */
    public OptionalLong tryLock(Connection connection, String name) {
        runtime.ensureOpen(); // before anything touches the caller's transaction
        long key = keyFor(connection, name);
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT CASE WHEN pg_try_advisory_xact_lock(?) THEN " + fence.nextval() + " ELSE 0 END")) {
            ps.setLong(1, key);
            long drawn;
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                drawn = rs.getLong(1);
            }
            if (drawn == 0) return OptionalLong.empty();
            try {
                return OptionalLong.of(fence.checked(drawn, connection, connections::lend));
            } catch (SQLException e) {
                throw PostgresConnections.failure("transaction lock " + Arguments.describe(name) + " was granted, but no fencing token "
                        + "could be made; roll the transaction back (it holds the lock until it ends)", e);
            }
        } catch (SQLException e) {
            throw new LockBackendException("cannot try a transaction lock: " + e.getMessage(), e);
        }
    }

    /**
     * Waits at most {@code timeout} for the lock and returns the fencing token. The waiting
     * statement runs on a thread of the provider, so the provider must still be open.
     *
     * @param connection the caller's connection, inside the transaction that is to hold the
     *     lock
     * @param name the lock's name; the provider's mutex of the same name excludes it
     * @param timeout the longest wait, enforced by the server's {@code lock_timeout} in whole
     *     milliseconds (at least 1 ms, even for {@link Duration#ZERO}); a timeout too long to
     *     count in nanoseconds waits without limit
     * @return the fencing token; the lock is held until the transaction commits or rolls back
     * @throws LockTimeoutException if not granted in time; the transaction stays usable
     * @throws InterruptedException if interrupted; the wait is cancelled, the transaction stays usable
     * @throws LockBackendException on a deadlock (SQLSTATE 40P01) or database failure; if the
     *     message says so (rolling back to the wait's savepoint, or restoring the settings,
     *     failed), roll the transaction back
     * @throws IllegalArgumentException if the connection is in auto-commit mode, the name is
     *     blank, too long or malformed Unicode, or {@code timeout} is negative
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if the provider is closed (the caller's transaction is left untouched)
     */
    public long lock(Connection connection, String name, Duration timeout) throws InterruptedException {
        runtime.ensureOpen(); // before the savepoint and the settings are put into the caller's transaction
        Arguments.requireNonNegative(timeout, "timeout");
        long key = keyFor(connection, name);
        Deadline deadline = Deadline.after(timeout, Ticker.system());
        while (true) {
            long timeoutMs = deadline.isUnbounded() ? 0 : PostgresConnections.lockTimeoutMs(deadline);
            Long token = waitInSavepoint(connection, key, timeoutMs, name);
            if (token != null) return token;
            if (deadline.isUnbounded() || deadline.hasExpired()) {
                throw new LockTimeoutException("timed out after " + timeout + " waiting for transaction lock " + Arguments.describe(name));
            }
            // lock_timeout holds at most about 24.8 days: wait the next slice
        }
    }

    /**
     * Null on timeout; the token when granted. The wait runs in a savepoint with
     * {@code lock_timeout} = {@code timeoutMs} (0: none) and no {@code statement_timeout}, set for
     * the savepoint only and given back to the caller afterwards. Only the waiting statement runs
     * on a helper thread (so that an interrupt can cancel it); the caller's thread decides what
     * the savepoint keeps, so a grant that raced an interrupt is rolled back, never left in the
     * caller's transaction.
     */
    private Long waitInSavepoint(Connection c, long key, long timeoutMs, String name) throws InterruptedException {
        String previousLock;
        String previousStatement;
        try (Statement s = c.createStatement()) {
            s.execute("SAVEPOINT dlock_wait");
            try (PreparedStatement set = c.prepareStatement("SELECT current_setting('lock_timeout'), current_setting('statement_timeout'), "
                    + "set_config('lock_timeout', ?, true), set_config('statement_timeout', '0', true)")) {
                set.setString(1, timeoutMs + "ms");
                try (ResultSet rs = set.executeQuery()) {
                    rs.next();
                    previousLock = rs.getString(1);
                    previousStatement = rs.getString(2);
                }
            }
        } catch (SQLException e) {
            throw PostgresConnections.failure("cannot prepare the wait for transaction lock " + Arguments.describe(name), e);
        }
        long token;
        try {
            token = connections.runCancellable(running -> {
                try (PreparedStatement ps = c.prepareStatement("SELECT " + fence.nextval() + " FROM (SELECT pg_advisory_xact_lock(?)) AS granted")) {
                    running.set(ps);
                    ps.setLong(1, key);
                    long drawn;
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        drawn = rs.getLong(1);
                    } finally {
                        running.set(null);
                    }
                    return fence.checked(drawn, c, connections::lend); // a failure rolls back to the savepoint, which gives the lock up
                }
            });
        } catch (InterruptedException e) {
            rollBackWait(c, name, e);
            throw e;
        } catch (SQLException e) {
            rollBackWait(c, name, e);
            if (PostgresConnections.isLockTimeout(e)) return null;
            throw PostgresConnections.waitFailed(e, "transaction lock " + Arguments.describe(name));
        }
        // Keep the lock (it now belongs to the transaction), give the caller back their settings,
        // then fold the savepoint into the transaction.
        try (PreparedStatement restore = c.prepareStatement("SELECT set_config('lock_timeout', ?, true), set_config('statement_timeout', ?, true)");
                Statement s = c.createStatement()) {
            restore.setString(1, previousLock);
            restore.setString(2, previousStatement);
            restore.executeQuery().close();
            s.execute("RELEASE SAVEPOINT dlock_wait");
        } catch (SQLException e) {
            throw PostgresConnections.failure("transaction lock " + Arguments.describe(name) + " was granted, but restoring the "
                    + "transaction's settings failed; roll the transaction back", e);
        }
        return token;
    }

    /**
     * Undoes a wait that did not end in a kept grant: back to the savepoint (which gives up a lock
     * granted meanwhile and the wait's settings). A cancel request sent to end the wait may land
     * on this statement, so it is tried a few times.
     */
    private static void rollBackWait(Connection c, String name, Exception cause) {
        SQLException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try (Statement s = c.createStatement()) {
                s.execute("ROLLBACK TO SAVEPOINT dlock_wait");
                s.execute("RELEASE SAVEPOINT dlock_wait");
                return;
            } catch (SQLException e) {
                last = e;
            }
        }
        LockBackendException failure = PostgresConnections.failure("the wait for transaction lock " + Arguments.describe(name)
                + " ended, but rolling back to its savepoint failed; roll the transaction back (it may hold the lock)", last);
        failure.addSuppressed(cause);
        if (cause instanceof InterruptedException) Thread.currentThread().interrupt();
        throw failure;
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
