package io.github.dlock.postgres;

import io.github.dlock.spi.Deadline;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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
 * <p>Connections: one per held lock, one per try while it runs, and one per waiting session
 * (bounded by {@link WaitingSessions}; further waiters queue in this process). Semaphore
 * waiters cannot LISTEN through such a pooler, so they retry on the retry strategy, woken early
 * by releases in the same provider.
 */
final class TransactionLocking implements AdvisoryLocking {
    private final PostgresConnections connections;
    private final WaitingSessions waits;
    private final int probeTimeoutSeconds;
    private final Set<PostgresSession> sessions = ConcurrentHashMap.newKeySet(); // every open session: trying, waiting or holding

    TransactionLocking(PostgresConnections connections, WaitingSessions waits, int probeTimeoutSeconds) {
        this.connections = connections;
        this.waits = waits;
        this.probeTimeoutSeconds = probeTimeoutSeconds;
    }

    @Override
    public PostgresHeldLock tryOnce(PostgresAcquirer acquirer, Deadline deadline) throws InterruptedException {
        PostgresSession session = begin(deadline);
        if (session == null) return null;
        boolean handedOver = false;
        try {
            for (Advisory lock : acquirer.candidates()) {
                long token = session.tryLock(lock);
                if (token > 0) {
                    handedOver = true;
                    return hold(acquirer, session, lock, token);
                }
            }
            return null;
        } catch (SQLException e) {
            throw PostgresConnections.failure("cannot try advisory lock", e);
        } finally {
            if (!handedOver) endSession(session); // rolls back; pooled only if that worked
        }
    }

    @Override
    public PostgresHeldLock waitInServer(PostgresAcquirer acquirer, Advisory lock, Deadline deadline) throws InterruptedException {
        PostgresSession session = begin(deadline);
        if (session == null) return null;
        boolean handedOver = false;
        try {
            long token = session.waitUntil(lock, deadline);
            if (token == 0) return null;
            handedOver = true;
            PostgresHeldLock held = hold(acquirer, session, lock, token);
            waits.changedHands(lock.id());
            return held;
        } finally {
            if (!handedOver) endSession(session);
        }
    }

    private PostgresHeldLock hold(PostgresAcquirer acquirer, PostgresSession session, Advisory lock, long token) {
        PostgresHeldLock held = new PostgresHeldLock(this, acquirer, token, session, lock);
        session.track(held);
        return held;
    }

    /** A session that runs a transaction (begun by the driver with its first statement); null if the deadline passed first. */
    private PostgresSession begin(Deadline deadline) throws InterruptedException {
        Connection c = connections.borrow(deadline);
        if (c == null) return null;
        try {
            c.setAutoCommit(false);
        } catch (SQLException e) {
            connections.discard(c);
            throw PostgresConnections.failure("cannot begin a transaction", e);
        }
        PostgresSession session = new PostgresSession(connections, c, false, true);
        sessions.add(session);
        return session;
    }

    private void endSession(PostgresSession session) {
        if (sessions.remove(session)) session.end();
    }

    @Override
    public void released(PostgresSession session, PostgresHeldLock held) {
        session.untrack(held);
        endSession(session);
        waits.changedHands(held.advisory().id());
    }

    @Override
    public void probe() {
        for (PostgresSession s : PostgresSession.probeAll(sessions, connections.helpers(), probeTimeoutSeconds)) sessions.remove(s);
    }

    /** Ends every session, including those still trying or waiting (closed, so their statements fail). */
    @Override
    public void close() {
        for (PostgresSession s : sessions) endSession(s);
    }
}
