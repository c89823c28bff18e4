package io.github.dlock.postgres;

import io.github.dlock.spi.Deadline;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Transaction-scoped advisory locks, safe behind a pooler in transaction mode (PgBouncer's
 * {@code pool_mode = transaction}), which hands a client's server connection to others between
 * transactions and would leak session locks to them. Each held lock is an open transaction
 * holding {@code pg_advisory_xact_lock} on a connection of its own; release rolls it back. A
 * pooler keeps a server connection with its client while a transaction is open, so the lock
 * stays with its holder; if the holder vanishes, the pooler or server ends the transaction and
 * the lock with it. A wait runs with {@code SET LOCAL lock_timeout}: a timeout or cancel aborts
 * the transaction, so no lock can stay granted after a timeout.
 *
 * <p>The cost: one connection per held lock (no multiplexing). Semaphore waiters cannot LISTEN
 * through such a pooler, so they retry on the retry strategy, woken early by releases in the
 * same provider.
 */
final class TransactionLocking implements AdvisoryLocking {
    private final PostgresConnections connections;
    private final Set<PostgresSession> sessions = ConcurrentHashMap.newKeySet();

    TransactionLocking(PostgresConnections connections) {
        this.connections = connections;
    }

    @Override
    public PostgresHeldLock tryOnce(PostgresAcquirer acquirer) {
        PostgresSession session;
        try {
            session = begin(connections.borrow());
        } catch (SQLException e) {
            throw PostgresConnections.failure("cannot get a database connection", e);
        }
        long token = 0;
        try {
            for (Advisory lock : acquirer.candidates()) {
                token = session.tryLock(lock, connections.sequence());
                if (token > 0) return hold(acquirer, session, lock, token);
            }
            return null;
        } catch (SQLException e) {
            throw PostgresConnections.failure("cannot try advisory lock", e);
        } finally {
            if (token <= 0) end(session);
        }
    }

    @Override
    public PostgresHeldLock waitInServer(PostgresAcquirer acquirer, Advisory lock, Deadline deadline) throws InterruptedException {
        PostgresSession session;
        try {
            Connection c = connections.borrowBefore(deadline);
            if (c == null) return null; // the deadline passed while the pool opened a connection
            session = begin(c);
        } catch (SQLException e) {
            throw PostgresConnections.failure("cannot get a database connection", e);
        }
        long token = 0;
        try {
            long timeoutMs = deadline.isUnbounded() ? 0 : TimeUnit.NANOSECONDS.toMillis(deadline.remainingNanos());
            if (!deadline.isUnbounded() && timeoutMs < 1) return null;
            try {
                token = connections.runCancellable(running -> connections.waitForLock(session.connection(), lock, timeoutMs, true, running));
            } catch (InterruptedException e) {
                session.discardOnClose();
                throw e;
            } catch (SQLException e) {
                if (PostgresConnections.isTimeoutOrCancel(e)) return null; // the aborted transaction holds nothing
                throw PostgresConnections.waitFailed(e, "an advisory lock");
            }
            session.tookByWaiting(lock);
            return hold(acquirer, session, lock, token);
        } finally {
            if (token <= 0) end(session);
        }
    }

    private PostgresHeldLock hold(PostgresAcquirer acquirer, PostgresSession session, Advisory lock, long token) {
        PostgresHeldLock held = new PostgresHeldLock(this, acquirer, token, session, lock);
        session.track(held);
        sessions.add(session);
        return held;
    }

    /** A session that runs a transaction (begun lazily by the driver with the first statement) on {@code c}. */
    private static PostgresSession begin(Connection c) throws SQLException {
        try {
            c.setAutoCommit(false);
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return new PostgresSession(c, false, true);
    }

    /** Rolls back and gives the connection back; if the rollback fails, the connection is dropped. */
    private void end(PostgresSession session) {
        sessions.remove(session);
        try {
            session.endTransaction();
            session.close(false);
        } catch (SQLException e) {
            session.close(true);
        }
    }

    @Override
    public void released(PostgresSession session, PostgresHeldLock held) {
        session.untrack(held);
        if (sessions.remove(session)) session.close(session.heldCount() > 0);
    }

    @Override
    public void probe() {
        for (PostgresSession s : sessions) {
            if (!s.probe(2)) sessions.remove(s);
        }
    }

    @Override
    public void close() {
        sessions.forEach(s -> s.close(true));
    }
}
