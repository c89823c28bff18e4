package io.github.dlock.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A database session that holds advisory locks, pinning its connection until the last is
 * released. Statements on it are serialized. PostgreSQL's session locks are re-entrant and a
 * session never conflicts with itself, so a session takes each key at most once; a second
 * request for a held key must use another session. A transactional session holds its lock in
 * an open transaction ({@code pg_advisory_xact_lock}) and releases it by rolling back.
 */
final class PostgresSession {
    private final Connection connection;
    private final boolean multiplexed;
    private final boolean transactional;
    private final Set<String> heldKeys = new HashSet<>(); // guarded by this
    // Prepared once per SQL shape (see Advisory.shape) and reused; guarded by this.
    private final PreparedStatement[] tryStatements = new PreparedStatement[4];
    private final PreparedStatement[] unlockStatements = new PreparedStatement[4];
    private final PreparedStatement[] unlockAndNotifyStatements = new PreparedStatement[4];
    private final Set<PostgresHeldLock> holds = ConcurrentHashMap.newKeySet();
    private volatile boolean dead;
    private volatile boolean discard;
    private final java.util.concurrent.atomic.AtomicInteger users = new java.util.concurrent.atomic.AtomicInteger(); // threads trying on a shared session

    /** A transactional session's connection must be out of auto-commit. */
    PostgresSession(Connection connection, boolean multiplexed, boolean transactional) {
        this.connection = connection;
        this.multiplexed = multiplexed;
        this.transactional = transactional;
    }

    boolean isMultiplexed() {
        return multiplexed;
    }

    boolean isDead() {
        return dead;
    }

    Connection connection() {
        return connection;
    }

    /** Tries the lock on this session; the fencing token, or 0 if taken elsewhere or already held here. */
    synchronized long tryLock(Advisory lock, String sequence) throws SQLException {
        if (heldKeys.contains(lock.id())) return 0;
        PreparedStatement ps = tryStatements[lock.shape()];
        if (ps == null) ps = tryStatements[lock.shape()] = connection.prepareStatement(lock.trySql(sequence, transactional));
        lock.bind(ps, 1);
        try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            long token = rs.getLong(1);
            if (token > 0) heldKeys.add(lock.id());
            return token;
        }
    }

    /** Records a lock taken on this session by a wait. */
    synchronized void tookByWaiting(Advisory lock) {
        heldKeys.add(lock.id());
    }

    synchronized boolean holdsKey(Advisory lock) {
        return heldKeys.contains(lock.id());
    }

    /**
     * Releases the lock; {@code notifyChannel} (or null) gets a NOTIFY in the same statement. A
     * transactional session rolls back instead, which ends all it holds.
     */
    synchronized void unlock(Advisory lock, String notifyChannel) throws SQLException {
        if (transactional) {
            endTransaction();
            return;
        }
        try {
            PreparedStatement[] cache = notifyChannel == null ? unlockStatements : unlockAndNotifyStatements;
            PreparedStatement ps = cache[lock.shape()];
            if (ps == null) {
                String sql = notifyChannel == null ? lock.unlockSql() : lock.unlockSql() + ", pg_notify(?, '')";
                ps = cache[lock.shape()] = connection.prepareStatement(sql);
            }
            int next = lock.bind(ps, 1);
            if (notifyChannel != null) ps.setString(next, notifyChannel);
            ps.executeQuery().close();
        } finally {
            heldKeys.remove(lock.id());
        }
    }

    /** Rolls back the session's transaction, and with it every transactional lock it took. */
    synchronized void endTransaction() throws SQLException {
        heldKeys.clear();
        connection.rollback();
    }

    /** Claims a shared session for one try if no other thread is using it. */
    boolean claimIfIdle() {
        return users.compareAndSet(0, 1);
    }

    /** Claims a shared session even if busy (its statements are serialized). */
    void claim() {
        users.incrementAndGet();
    }

    void unclaim() {
        users.decrementAndGet();
    }

    /** The connection must not go back to the pool (e.g. a cancel request may still be in flight for it). */
    void discardOnClose() {
        discard = true;
    }

    void track(PostgresHeldLock lock) {
        holds.add(lock);
    }

    /** Forgets a released lock; true if none is left, so the connection may be given back. */
    boolean untrack(PostgresHeldLock lock) {
        holds.remove(lock);
        return holds.isEmpty();
    }

    synchronized int heldCount() {
        return heldKeys.size();
    }

    /** Keep-alive: whether the session still answers; if not, every lock on it is reported lost. */
    boolean probe(int timeoutSeconds) {
        boolean alive;
        synchronized (this) {
            try {
                alive = !dead && connection.isValid(timeoutSeconds);
            } catch (SQLException e) {
                alive = false;
            }
        }
        if (!alive) die("its database session ended (connection lost, backend terminated or server restarted)");
        return alive;
    }

    /** Reports every lock on this session lost and drops the connection. */
    void die(String reason) {
        dead = true;
        for (PostgresHeldLock h : holds) h.markLost(reason);
        close(true);
    }

    /**
     * Gives the connection back (to the pool), or, when it may still hold locks, closes the
     * physical connection so that no lock can leak into another borrower's session.
     */
    void close(boolean mayHoldLocks) {
        synchronized (this) {
            for (PreparedStatement[] cache : List.of(tryStatements, unlockStatements, unlockAndNotifyStatements)) {
                for (int i = 0; i < cache.length; i++) {
                    try {
                        if (cache[i] != null) cache[i].close();
                    } catch (SQLException ignored) {
                        // closing the connection closes it anyway
                    }
                    cache[i] = null;
                }
            }
        }
        try {
            if (mayHoldLocks || discard || heldCount() > 0) connection.abort(Runnable::run);
            else connection.close();
        } catch (SQLException | RuntimeException e) {
            // the connection is gone either way
        }
    }
}
