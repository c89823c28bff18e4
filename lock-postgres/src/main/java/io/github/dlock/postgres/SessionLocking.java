package io.github.dlock.postgres;

import io.github.dlock.spi.Deadline;
import io.github.dlock.spi.Ticker;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Session-level advisory locks, for direct connections or a pooler in session mode. Try-locks
 * share a few pinned (multiplexed) sessions, so that many held locks need few connections: a
 * try uses a shared session no other thread is using at that moment, and a new one is opened
 * (up to a third of the pool) only when all are busy, so shared sessions grow with concurrent
 * callers, not with held locks. A wait runs in the server ({@code lock_timeout}) on a session of
 * its own, which then stays pinned to the lock it won.
 */
final class SessionLocking implements AdvisoryLocking {
    private final PostgresConnections connections;
    private final Set<PostgresSession> sessions = ConcurrentHashMap.newKeySet();
    private final List<PostgresSession> shared = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Object openingShared = new Object();
    private final int maxShared;
    /** Connections for waits and the locks they win; the rest of the pool serves the shared session, LISTEN and queries. */
    private final Semaphore dedicatedConnections;

    SessionLocking(PostgresConnections connections, int poolSize) {
        this.connections = connections;
        this.maxShared = Math.max(1, poolSize / 3);
        // the rest of the pool, but for the listener and a query connection
        this.dedicatedConnections = new Semaphore(Math.max(1, poolSize - maxShared - 2), true);
    }

    /** One try on a shared session (or, for a key already held there, on a fresh one). */
    @Override
    public PostgresHeldLock tryOnce(PostgresAcquirer acquirer) {
        PostgresSession session = claimShared();
        try {
            return tryOn(session, acquirer);
        } finally {
            session.unclaim();
        }
    }

    private PostgresHeldLock tryOn(PostgresSession session, PostgresAcquirer acquirer) {
        List<Advisory> heldHere = new ArrayList<>();
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
            return session.tryLock(lock, connections.sequence());
        } catch (SQLException e) {
            if (session.isMultiplexed()) session.die("it failed: " + e.getMessage());
            throw PostgresConnections.failure("cannot try advisory lock", e);
        }
    }

    /**
     * Waits in the server (bounded by {@code lock_timeout}) on a session of its own. PostgreSQL
     * may grant the lock just as the timeout fires, so a timeout is only reported after
     * {@code pg_locks} shows the session does not hold it.
     */
    @Override
    public PostgresHeldLock waitInServer(PostgresAcquirer acquirer, Advisory lock, Deadline deadline) throws InterruptedException {
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
        if (session == null) { // the deadline passed while the pool opened a connection
            dedicatedConnections.release();
            return null;
        }
        boolean handedOver = false;
        try {
            long token;
            try {
                token = connections.runCancellable(running -> waitStatement(session, lock, remainingMs, running));
            } catch (InterruptedException e) {
                session.discardOnClose(); // closing it also frees a lock granted just before the cancel
                throw e;
            } catch (SQLException e) {
                token = afterFailedWait(session, lock, e);
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

    private long waitStatement(PostgresSession session, Advisory lock, long timeoutMs, java.util.concurrent.atomic.AtomicReference<Statement> running)
            throws SQLException {
        Connection c = session.connection();
        try {
            return connections.waitForLock(c, lock, timeoutMs, false, running);
        } finally {
            try (Statement reset = c.createStatement()) {
                reset.execute("RESET lock_timeout"); // the session goes on holding the lock
            }
        }
    }

    /** A wait ended in an error: a timeout that may have raced the grant, a deadlock, or a failure. */
    private long afterFailedWait(PostgresSession session, Advisory lock, SQLException e) {
        if (PostgresConnections.isTimeoutOrCancel(e)) {
            if (!heldBySession(session, lock)) return 0;
            try (PreparedStatement ps = session.connection().prepareStatement("SELECT nextval(?::regclass)")) {
                ps.setString(1, connections.sequence());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1); // granted just as the timeout fired: it is ours
                }
            } catch (SQLException again) {
                throw PostgresConnections.failure("cannot draw a fencing token", again);
            }
        }
        throw PostgresConnections.waitFailed(e, "an advisory lock");
    }

    private static boolean heldBySession(PostgresSession session, Advisory lock) {
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

    private PostgresHeldLock hold(PostgresAcquirer acquirer, PostgresSession session, Advisory lock, long token) {
        PostgresHeldLock held = new PostgresHeldLock(this, acquirer, token, session, lock);
        session.track(held);
        return held;
    }

    /** Gives back a dedicated session that holds nothing any more. */
    @Override
    public void released(PostgresSession session, PostgresHeldLock held) {
        if (session.untrack(held) && !session.isMultiplexed() && session.heldCount() == 0) closeDedicated(session);
    }

    /**
     * A shared session for one try, claimed by the caller: an idle one if any, else a new one
     * while there are fewer than {@link #maxShared}, else (all busy) the first, whose statements
     * then queue. Dead sessions are dropped and replaced.
     */
    private PostgresSession claimShared() {
        for (PostgresSession s : shared) {
            if (s.isDead()) shared.remove(s);
            else if (s.claimIfIdle()) return s;
        }
        if (shared.size() < maxShared) {
            PostgresSession fresh = newSession(true); // borrowed outside the lock: borrowing may wait for the pool
            synchronized (openingShared) {
                if (shared.size() < maxShared) {
                    fresh.claim();
                    shared.add(fresh);
                    return fresh;
                }
            }
            sessions.remove(fresh);
            fresh.close(false);
        }
        for (PostgresSession s : shared) {
            if (!s.isDead()) {
                s.claim();
                return s;
            }
        }
        return claimShared(); // all died meanwhile: open a fresh one
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
            return newSession(multiplex, Deadline.none(Ticker.system()));
        } catch (InterruptedException e) {
            throw new AssertionError("an unbounded borrow is not interruptible", e);
        }
    }

    /** A session on a newly borrowed connection; null if the deadline passed first (see {@link PostgresConnections#borrowBefore}). */
    private PostgresSession newSession(boolean multiplex, Deadline deadline) throws InterruptedException {
        try {
            Connection c = connections.borrowBefore(deadline);
            if (c == null) return null;
            try {
                if (!c.getAutoCommit()) c.setAutoCommit(true);
            } catch (SQLException e) {
                c.close();
                throw e;
            }
            PostgresSession session = new PostgresSession(c, multiplex, false);
            sessions.add(session);
            return session;
        } catch (SQLException e) {
            throw PostgresConnections.failure("cannot get a database connection", e);
        }
    }

    @Override
    public void probe() {
        for (PostgresSession s : sessions) {
            if (s.probe(2)) continue;
            if (s.isMultiplexed()) { // replaced on next use
                sessions.remove(s);
                shared.remove(s);
            }
            else closeDedicated(s);
        }
    }

    @Override
    public void close() {
        sessions.forEach(s -> s.close(true));
    }
}
