package io.github.dlock.postgres;

import io.github.dlock.spi.Deadline;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One borrowed connection and everything that runs on it, from borrow to its one way out,
 * {@link #end()}: the connection goes back to the pool only when it provably holds nothing (no
 * advisory lock, no open transaction, no statement running, no cancel request in flight);
 * otherwise it is physically closed and its pool slot freed ({@link PostgresConnections#discard}).
 *
 * <p>Every lock statement marks the session <em>uncertain</em> before it runs and clears the mark
 * only when its outcome is known (granted and recorded, or verified not granted), so a statement
 * that fails after its side effect (a fencing {@code nextval} failing after the grant), a cancel,
 * or a failed check can never put a lock-holding connection back into the pool.
 *
 * <p>PostgreSQL's session locks are re-entrant and a session never conflicts with itself, so a
 * session takes an exclusive key at most once, and a shared key again only while no exclusive
 * request waits for it ({@link Advisory#reentrySql}); other requests for a held key must use
 * another session.
 * A transactional session holds its lock in an open transaction ({@code pg_advisory_xact_lock})
 * and releases it by rolling back. Statements are serialized by a {@link ReentrantLock} (never a
 * monitor: they block on I/O).
 */
final class PostgresSession {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresSession.class);

    private final PostgresConnections connections;
    private final Connection connection;
    private final boolean multiplexed;
    private final boolean transactional;
    private final ReentrantLock statements = new ReentrantLock();
    private final Map<String, Integer> heldKeys = new HashMap<>(); // key id -> -1 (held exclusively) or n (shared holds); guarded by statements
    // Prepared once per SQL shape (see Advisory.shape) and reused; guarded by statements.
    private final PreparedStatement[] tryStatements = new PreparedStatement[4];
    private PreparedStatement reentryStatement;
    private final PreparedStatement[] unlockStatements = new PreparedStatement[4];
    private final PreparedStatement[] unlockAndNotifyStatements = new PreparedStatement[4];
    private final Set<PostgresHeldLock> holds = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean ended = new AtomicBoolean();
    private final AtomicInteger users = new AtomicInteger(); // threads trying on a shared session
    private volatile boolean dead;
    private volatile boolean uncertain; // may hold a lock (or run a statement) that heldKeys does not show
    private volatile long statementSince; // System.nanoTime() when the running statement began; 0 when idle
    private boolean boundedSettings; // SET lock_timeout/statement_timeout for the session's life; guarded by statements

    /** A transactional session's connection must be out of auto-commit. */
    PostgresSession(PostgresConnections connections, Connection connection, boolean multiplexed, boolean transactional) {
        this.connections = connections;
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

    /** Whether the last lock statement's outcome is unknown: the session may hold a lock nobody tracks. */
    boolean isUncertain() {
        return uncertain;
    }

    /**
     * Tries the lock on this session: the fencing token, or 0 if taken elsewhere or already held
     * here. If the statement fails after the grant (the fencing {@code nextval} failed, or a new
     * fencing epoch could not be started, see {@link PostgresFence#checked}), the lock is given
     * back before the failure is thrown; if that is impossible, the session is left
     * uncertain and must end (shared sessions die, reporting their other locks lost).
     *
     * @throws SQLException the statement's failure; {@link PostgresConnections#isConnectionFailure}
     *     tells whether the session is gone
     */
    long tryLock(Advisory lock) throws SQLException {
        beginStatement();
        try {
            Integer holds = heldKeys.get(lock.id());
            if (holds != null) {
                // exclusive here, or exclusive wanted: this session would not conflict with itself, so never here
                if (holds < 0 || !lock.shared()) return 0;
                return reenter(lock);
            }
            PreparedStatement ps = tryStatements[lock.shape()];
            if (ps == null) ps = tryStatements[lock.shape()] = connection.prepareStatement(lock.trySql(connections.fence().nextval(), transactional));
            lock.bind(ps, 1);
            uncertain = true;
            long token;
            try {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    token = rs.getLong(1);
                }
                token = checked(token);
            } catch (SQLException e) {
                if (PostgresConnections.isConnectionFailure(e)) dead = true;
                else undoFailedTry(lock);
                throw e;
            }
            if (token > 0) heldKeys.put(lock.id(), lock.shared() ? 1 : -1);
            uncertain = false;
            return token;
        } finally {
            endStatement();
        }
    }

    /** A value drawn on this session made a fencing token (see {@link PostgresFence#checked}); 0 stays 0. */
    private long checked(long drawn) throws SQLException {
        return connections.fence().checked(drawn, connection, connections::lend);
    }

    /**
     * One more hold of a shared lock this session holds (see {@link Advisory#reentrySql}); if it
     * fails after taking the hold (no fencing token could be made), it gives that hold back.
     */
    private long reenter(Advisory lock) throws SQLException {
        if (reentryStatement == null) reentryStatement = connection.prepareStatement(lock.reentrySql(connections.fence().nextval()));
        long[] tag = lock.lockTag();
        reentryStatement.setLong(1, tag[0]);
        reentryStatement.setLong(2, tag[1]);
        reentryStatement.setInt(3, (int) tag[2]);
        lock.bind(reentryStatement, 4);
        long token;
        try (ResultSet rs = reentryStatement.executeQuery()) {
            rs.next();
            token = rs.getLong(1);
        } catch (SQLException e) {
            if (PostgresConnections.isConnectionFailure(e)) dead = true;
            throw e;
        }
        if (token > 0) {
            try {
                token = checked(token);
            } catch (SQLException e) {
                uncertain = true; // one hold too many until undone; a failed undo leaves the session to be closed
                if (PostgresConnections.isConnectionFailure(e)) dead = true;
                else undoFailedTry(lock); // session lock: gives back exactly the one hold taken here
                throw e;
            }
            heldKeys.merge(lock.id(), 1, Integer::sum);
        }
        return token;
    }

    /** After a try statement failed: gives back the lock it may have taken (session lock) or ends the aborted transaction. */
    private void undoFailedTry(Advisory lock) {
        try {
            if (transactional) {
                connection.rollback();
            } else {
                try (PreparedStatement unlock = connection.prepareStatement(lock.unlockSql())) {
                    lock.bind(unlock, 1);
                    unlock.executeQuery().close(); // false (with a server WARNING) if the failed statement took nothing
                }
            }
            uncertain = false;
        } catch (SQLException again) {
            if (PostgresConnections.isConnectionFailure(again)) dead = true;
            LOG.debug("Could not undo a failed try of advisory lock {}; the session will be closed", lock.id(), again);
        }
    }

    /**
     * Waits in the server for {@code lock} (bounded by {@code lock_timeout} = {@code timeoutMs}, 0
     * for no limit, with {@code statement_timeout} off so that only the caller's deadline
     * applies), records it as held and returns its fencing token. The waiting statement is
     * published in {@code running} so that an interrupt can cancel it. A session setting is
     * restored afterwards; a transactional session sets them for its transaction only.
     *
     * <p>The session stays uncertain unless the wait succeeded, so a failed, cancelled or
     * interrupted wait ends in {@link PostgresConnections#discard} unless {@link #verifyNotHeld}
     * proves otherwise.
     *
     * @throws SQLException the wait's failure: {@code 55P03} when {@code lock_timeout} fired
     */
    long waitLock(Advisory lock, long timeoutMs, AtomicReference<Statement> running) throws SQLException {
        beginStatement();
        try {
            uncertain = true;
            try (PreparedStatement set = connection.prepareStatement(
                    "SELECT set_config('lock_timeout', ?, ?), set_config('statement_timeout', '0', ?)")) {
                set.setString(1, timeoutMs + "ms");
                set.setBoolean(2, transactional);
                set.setBoolean(3, transactional);
                set.executeQuery().close();
            }
            long token;
            try (PreparedStatement ps = connection.prepareStatement(lock.waitSql(connections.fence().nextval(), transactional))) {
                running.set(ps);
                lock.bind(ps, 1);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    token = rs.getLong(1);
                } finally {
                    running.set(null);
                }
                token = checked(token); // granted: a failure here leaves the session uncertain, so it is closed
            } catch (SQLException e) {
                if (PostgresConnections.isConnectionFailure(e)) dead = true;
                throw e;
            }
            heldKeys.put(lock.id(), lock.shared() ? 1 : -1);
            if (!transactional) resetTimeouts(); // the session goes on holding the lock
            uncertain = false;
            return token;
        } finally {
            endStatement();
        }
    }

    /**
     * Waits in the server for {@code lock} until granted or {@code deadline}, in slices of at most
     * {@link PostgresConnections#MAX_LOCK_TIMEOUT_MS} (and none when unbounded); an interrupt of
     * the caller cancels the wait. A timeout that raced the grant keeps the lock (see
     * {@link #verifyAfterTimeout}).
     *
     * @return the fencing token, or 0 if the deadline passed (the session then holds nothing)
     * @throws SessionGone if the connection failed; the session is uncertain and must end
     * @throws io.github.dlock.LockBackendException if the wait failed other than by its timeout
     * @throws InterruptedException if interrupted; the session is uncertain and must end
     */
    long waitUntil(Advisory lock, Deadline deadline) throws InterruptedException {
        while (true) {
            if (!deadline.isUnbounded() && deadline.hasExpired()) return 0;
            long timeoutMs = PostgresConnections.lockTimeoutMs(deadline);
            try {
                return connections.runCancellable(running -> waitLock(lock, timeoutMs, running));
            } catch (SQLException e) {
                if (PostgresConnections.isConnectionFailure(e)) throw new SessionGone(e);
                if (!PostgresConnections.isLockTimeout(e)) throw PostgresConnections.waitFailed(e, "an advisory lock");
            }
            try {
                long token = verifyAfterTimeout(lock);
                if (token > 0) return token;
            } catch (SQLException e) {
                if (PostgresConnections.isConnectionFailure(e)) throw new SessionGone(e);
                throw PostgresConnections.failure("cannot tell whether a timed-out wait was granted", e);
            }
        }
    }

    /**
     * After a wait ended in {@code lock_timeout}: PostgreSQL may have granted the lock just as the
     * timeout fired, so {@code pg_locks} decides. Returns the fencing token if it was granted
     * (the lock is then recorded as held), 0 if it provably was not (the session is then
     * certain again and may go back to the pool).
     *
     * @throws SQLException if the check failed; the session stays uncertain
     */
    long verifyAfterTimeout(Advisory lock) throws SQLException {
        beginStatement();
        try {
            if (transactional) { // the timeout aborted the transaction, and its locks with it
                connection.rollback();
                uncertain = false;
                return 0;
            }
            boolean held;
            long[] tag = lock.lockTag();
            try (PreparedStatement ps = connection.prepareStatement(Advisory.HELD_SQL)) {
                ps.setLong(1, tag[0]);
                ps.setLong(2, tag[1]);
                ps.setInt(3, (int) tag[2]);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    held = rs.getBoolean(1);
                }
            }
            long token = 0;
            if (held) { // granted as the timeout fired: it is ours
                heldKeys.put(lock.id(), lock.shared() ? 1 : -1);
                try (PreparedStatement ps = connection.prepareStatement("SELECT " + connections.fence().nextval())) {
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        token = checked(rs.getLong(1));
                    }
                }
            }
            resetTimeouts();
            uncertain = false;
            return token;
        } catch (SQLException e) {
            if (PostgresConnections.isConnectionFailure(e)) dead = true;
            throw e;
        } finally {
            endStatement();
        }
    }

    private void resetTimeouts() throws SQLException {
        try (Statement reset = connection.createStatement()) {
            reset.execute("RESET lock_timeout; RESET statement_timeout");
        }
    }

    boolean holdsKey(Advisory lock) {
        statements.lock();
        try {
            return heldKeys.containsKey(lock.id());
        } finally {
            statements.unlock();
        }
    }

    /**
     * Releases the lock; {@code notifyChannel} (or null) gets a NOTIFY in the same statement. A
     * transactional session rolls back instead, which ends all it holds. On failure the session is
     * uncertain (the lock may still be held) and must end. Counts as a user of the session
     * meanwhile, so that tries look for an idle session elsewhere instead of queueing behind it.
     */
    void unlock(Advisory lock, String notifyChannel) throws SQLException {
        users.incrementAndGet();
        beginStatement();
        try {
            if (transactional) {
                uncertain = true;
                connection.rollback();
                heldKeys.clear();
                uncertain = false;
                return;
            }
            PreparedStatement[] cache = notifyChannel == null ? unlockStatements : unlockAndNotifyStatements;
            PreparedStatement ps = cache[lock.shape()];
            if (ps == null) {
                String sql = notifyChannel == null ? lock.unlockSql() : lock.unlockSql() + ", pg_notify(?, '')";
                ps = cache[lock.shape()] = connection.prepareStatement(sql);
            }
            int next = lock.bind(ps, 1);
            if (notifyChannel != null) ps.setString(next, notifyChannel);
            heldKeys.computeIfPresent(lock.id(), (k, n) -> n > 1 ? n - 1 : null);
            uncertain = true;
            ps.executeQuery().close();
            uncertain = false;
        } catch (SQLException e) {
            if (PostgresConnections.isConnectionFailure(e)) dead = true;
            throw e;
        } finally {
            endStatement();
            users.decrementAndGet();
        }
    }

    private void beginStatement() {
        statements.lock();
        statementSince = System.nanoTime() | 1; // never 0
    }

    private void endStatement() {
        statementSince = 0;
        statements.unlock();
    }

    /**
     * Bounds the server-side time of every statement of this (shared) session, which only runs
     * short try and unlock statements: a lock or statement stalled behind something else (a
     * locked fencing sequence) fails after {@code ms} instead of holding its caller and the
     * session. Undone before the connection goes back to the pool.
     */
    void boundStatements(long ms) throws SQLException {
        beginStatement();
        try (Statement set = connection.createStatement()) {
            set.execute("SET lock_timeout = '" + ms + "ms'; SET statement_timeout = '" + ms + "ms'");
            boundedSettings = true;
        } finally {
            endStatement();
        }
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

    void track(PostgresHeldLock lock) {
        holds.add(lock);
    }

    /** Forgets a released lock; true if none is left. */
    boolean untrack(PostgresHeldLock lock) {
        holds.remove(lock);
        return holds.isEmpty();
    }

    /** Whether any handle still holds a lock on this session. */
    boolean holdsLocks() {
        return !holds.isEmpty();
    }

    /**
     * Keep-alive: whether the session still answers. Sessions that hold no lock are not probed
     * (a session waiting in the server holds nothing yet, and its running statement must not
     * delay the probe). A busy session is taken for dead only when its running statement has
     * lasted longer than the provider's timeout (which bounds it on the server) plus two probe
     * timeouts: then only a stalled server or network keeps it running. If the session is gone,
     * every lock on it is reported lost.
     *
     * @return false if the session died
     */
    boolean probe(int timeoutSeconds) {
        if (dead) return false;
        if (holds.isEmpty() && !multiplexed) return true;
        boolean alive;
        try {
            if (holds.isEmpty()) { // an idle shared session: checked only while no try uses it (a try finds a dead one itself)
                if (!statements.tryLock()) return true;
                try {
                    alive = !dead && connection.isValid(timeoutSeconds);
                } finally {
                    statements.unlock();
                }
                if (!alive) die("its database session ended while idle");
                return alive;
            }
            if (statements.tryLock(timeoutSeconds, TimeUnit.SECONDS)) {
                try {
                    alive = !dead && connection.isValid(timeoutSeconds);
                } finally {
                    statements.unlock();
                }
            } else {
                // busy: a statement bounded by the provider's timeout on the server has run longer
                // than that (and two probe timeouts more) only if the server or network stalled
                long since = statementSince;
                long limit = connections.timeoutNanos() + 2 * TimeUnit.SECONDS.toNanos(timeoutSeconds);
                alive = since == 0 || System.nanoTime() - since < limit;
            }
        } catch (SQLException e) {
            alive = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true; // the provider is closing
        }
        if (!alive) die("its database session ended (connection lost, backend terminated or server restarted)");
        return alive;
    }

    /**
     * Probes every session of {@code sessions} that holds a lock, in parallel on {@code executor},
     * so that one slow or stalled session delays no other; waits at most about two probe
     * timeouts. Returns the sessions found dead (already ended, their locks reported lost).
     */
    static List<PostgresSession> probeAll(java.util.Collection<PostgresSession> sessions, java.util.concurrent.ExecutorService executor,
            int timeoutSeconds) {
        List<java.util.concurrent.Future<Boolean>> probes = new java.util.ArrayList<>();
        List<PostgresSession> probed = new java.util.ArrayList<>();
        for (PostgresSession s : sessions) {
            if (!s.dead && s.holds.isEmpty() && !s.multiplexed) continue; // idle shared sessions too: a dead one would keep its pool slot
            probed.add(s);
            try {
                probes.add(executor.submit(() -> s.probe(timeoutSeconds)));
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                return List.of();
            }
        }
        List<PostgresSession> dead = new java.util.ArrayList<>();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2L * timeoutSeconds + 1);
        for (int i = 0; i < probes.size(); i++) {
            try {
                if (!probes.get(i).get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS)) dead.add(probed.get(i));
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                // still probing (it ends itself within its timeouts), or failed: the next round looks again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return dead;
    }

    /** Reports every lock on this session lost and closes its connection. */
    void die(String reason) {
        dead = true;
        for (PostgresHeldLock h : holds) h.markLost(reason);
        end();
    }

    /**
     * The connection's one way out, once: back to the pool if it provably holds nothing, else
     * physically closed with its pool slot freed. A transactional session rolls back first.
     */
    void end() {
        if (!ended.compareAndSet(false, true)) return;
        boolean locked = !dead && !uncertain && holds.isEmpty() && statements.tryLock(); // a running statement means not clean
        boolean clean = false;
        if (locked) {
            try {
                clean = heldKeys.isEmpty() && !uncertain;
                if (clean) {
                    closeStatements();
                    if (transactional) connection.rollback();
                    if (boundedSettings) resetTimeouts();
                }
            } catch (SQLException e) {
                clean = false;
            } finally {
                statements.unlock();
            }
        }
        if (clean) connections.giveBack(connection);
        else connections.discard(connection); // closes its statements with it
    }

    private void closeStatements() {
        try {
            if (reentryStatement != null) reentryStatement.close();
        } catch (SQLException ignored) {
            // closing the connection closes it anyway
        }
        reentryStatement = null;
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
}
