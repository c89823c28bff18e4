package io.github.dlock.postgres;

import io.github.dlock.spi.Deadline;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Session-level advisory locks, for direct connections or a pooler in session mode.
 *
 * <p>Connections: try-locks share a few pinned (multiplexed) sessions, so that many held locks
 * need few connections: a try uses a shared session no other thread is using at that moment, and
 * a new one is opened (up to {@code maxShared}) only when all are busy. Readers of one key share a
 * session's hold (re-entrant, unless a writer waits), so any number of readers in this process
 * need no extra connection. A wait runs in the server on a session of
 * its own (one of the provider's bounded {@link WaitingSessions}), which then stays pinned to the
 * lock it won until release. A shared session that died is dropped and replaced, and a try that
 * met it is retried once on a fresh one, so the death surfaces only as {@code lost()} of the
 * locks it held.
 */
final class SessionLocking implements AdvisoryLocking {
    private final PostgresConnections connections;
    private final WaitingSessions waits;
    private final int probeTimeoutSeconds;
    private final Set<PostgresSession> sessions = ConcurrentHashMap.newKeySet(); // every open session
    private final List<PostgresSession> shared = new CopyOnWriteArrayList<>();
    private final ReentrantLock openingShared = new ReentrantLock();
    /**
     * The shared session each thread used last: it tries there first, so that a thread tends to
     * keep one session and its releases (which must run on the session holding the lock) rarely
     * queue behind another thread's try.
     */
    private final ThreadLocal<PostgresSession> lastUsed = new ThreadLocal<>();
    private final int maxShared;

    SessionLocking(PostgresConnections connections, WaitingSessions waits, int maxShared, int probeTimeoutSeconds) {
        this.connections = connections;
        this.waits = waits;
        this.maxShared = maxShared;
        this.probeTimeoutSeconds = probeTimeoutSeconds;
    }

    /** One try on a shared session; a session found dead is replaced and the try made once more. */
    @Override
    public PostgresHeldLock tryOnce(PostgresAcquirer acquirer, Deadline deadline) throws InterruptedException {
        for (int attempt = 0; ; attempt++) {
            PostgresSession session = claimShared(deadline);
            if (session == null) return null; // the deadline passed while the pool opened a connection
            try {
                return tryOn(session, acquirer, deadline);
            } catch (SessionGone gone) {
                if (attempt > 0) throw PostgresConnections.failure("cannot try advisory lock", gone.getCause());
            } finally {
                session.unclaim();
            }
        }
    }

    private PostgresHeldLock tryOn(PostgresSession session, PostgresAcquirer acquirer, Deadline deadline) throws InterruptedException {
        for (Advisory lock : acquirer.candidates()) {
            PostgresSession on = session;
            PostgresSession other = null;
            if (lock.shared() && session.holdsKey(lock)) {
                // another reader of this process: a shared session without the key if there is one
                // (so holders() shows each reader), else a re-entrant hold here
                other = claimSharedWithout(lock, deadline);
                if (other != null) on = other;
            }
            try {
                long token = tryLock(on, lock); // 0 at once for a key held here that may not be shared
                if (token > 0) return hold(acquirer, on, lock, token);
            } finally {
                if (other != null) other.unclaim();
            }
        }
        return null;
    }

    /** A claimed shared session that does not hold {@code lock}: an existing one, or a new one while below the limit; else null. */
    private PostgresSession claimSharedWithout(Advisory lock, Deadline deadline) throws InterruptedException {
        for (PostgresSession s : shared) {
            if (!s.isDead() && !s.holdsKey(lock)) {
                s.claim();
                return s;
            }
        }
        return openShared(deadline);
    }

    /** A new shared session, claimed, while there are fewer than {@link #maxShared}; else (or past the deadline) null. */
    private PostgresSession openShared(Deadline deadline) throws InterruptedException {
        // another shared session only while the pool can give one at once: locks won by waiting
        // may have taken the rest, and a try must not wait for them when a shared session exists
        if (shared.size() >= maxShared || (!shared.isEmpty() && !connections.hasSpare())) return null;
        PostgresSession fresh = newSession(true, deadline); // borrowed outside the lock: borrowing may wait for the pool
        if (fresh == null) return null;
        try {
            fresh.boundStatements(TimeUnit.NANOSECONDS.toMillis(connections.timeoutNanos()));
        } catch (SQLException e) {
            endSession(fresh);
            throw PostgresConnections.failure("cannot set up a shared session", e);
        }
        openingShared.lock();
        try {
            if (shared.size() < maxShared) {
                fresh.claim();
                shared.add(fresh);
                return fresh;
            }
        } finally {
            openingShared.unlock();
        }
        endSession(fresh);
        return null;
    }

    /**
     * A try statement; a statement error fails only this call (the session gave back what the
     * failed statement may have taken). A shared session that could not undo it, or whose
     * connection failed, dies: its locks are reported lost, never silently kept.
     *
     * @throws SessionGone if the session's connection is gone
     * @throws InterruptedException if an interrupt ended the borrow of a connection for a new
     *     fencing epoch (the lock was given back; the session is fine)
     */
    private long tryLock(PostgresSession session, Advisory lock) throws InterruptedException {
        try {
            return session.tryLock(lock);
        } catch (SQLException e) {
            if (e instanceof PostgresFence.EpochFailure && Thread.interrupted()) {
                InterruptedException interrupted = new InterruptedException("interrupted while starting a new fencing epoch");
                interrupted.initCause(e);
                throw interrupted;
            }
            if (PostgresConnections.isConnectionFailure(e)) {
                if (session.isMultiplexed()) dropShared(session, "its database session ended: " + e.getMessage());
                throw new SessionGone(e);
            }
            if (session.isMultiplexed() && session.isUncertain()) {
                dropShared(session, "a failed statement on its session could not be undone, so the session was closed: " + e.getMessage());
            }
            throw PostgresConnections.failure("cannot try advisory lock", e);
        }
    }

    /**
     * Waits in the server (bounded by {@code lock_timeout}, in slices for waits longer than it
     * allows) on a session of its own. PostgreSQL may grant the lock just as the timeout fires,
     * so a timeout is only reported after {@code pg_locks} shows the session does not hold it. A
     * session whose wait failed or was interrupted is discarded, never pooled.
     */
    @Override
    public PostgresHeldLock waitInServer(PostgresAcquirer acquirer, Advisory lock, Deadline deadline) throws InterruptedException {
        PostgresSession session = newSession(false, deadline);
        if (session == null) return null; // the deadline passed while the pool opened a connection
        boolean handedOver = false;
        try {
            long token = session.waitUntil(lock, deadline);
            if (token == 0) return null;
            handedOver = true;
            PostgresHeldLock held = lock.shared() ? moveToShared(acquirer, lock, session, token) : hold(acquirer, session, lock, token);
            waits.changedHands(lock.id()); // queued readers of this key may now share it
            return held;
        } finally {
            if (!handedOver) endSession(session);
        }
    }

    /**
     * A read lock won by waiting moves to a shared session when it can (taken there first, then
     * given back here, so it is never unheld), so that waited-for readers pin no connection of
     * their own; with a writer queued meanwhile it stays on {@code waited}.
     */
    private PostgresHeldLock moveToShared(PostgresAcquirer acquirer, Advisory lock, PostgresSession waited, long waitedToken) {
        PostgresSession target;
        try {
            target = claimSharedWithout(lock, Deadline.after(java.time.Duration.ZERO, io.github.dlock.spi.Ticker.system()));
        } catch (InterruptedException | RuntimeException e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            return hold(acquirer, waited, lock, waitedToken);
        }
        if (target == null) return hold(acquirer, waited, lock, waitedToken);
        long token;
        try {
            token = tryLock(target, lock);
        } catch (InterruptedException e) { // the lock is granted already: keep it where it is, and the interrupt
            Thread.currentThread().interrupt();
            return hold(acquirer, waited, lock, waitedToken);
        } catch (RuntimeException e) { // SessionGone or a statement error: keep the lock where it is
            return hold(acquirer, waited, lock, waitedToken);
        } finally {
            target.unclaim();
        }
        if (token <= 0) return hold(acquirer, waited, lock, waitedToken);
        PostgresHeldLock held = hold(acquirer, target, lock, token);
        try {
            waited.unlock(lock, null);
        } catch (SQLException e) {
            // the session is uncertain now: ending it below closes it, which frees the lock
        }
        endSession(waited);
        return held;
    }

    private PostgresHeldLock hold(PostgresAcquirer acquirer, PostgresSession session, Advisory lock, long token) {
        PostgresHeldLock held = new PostgresHeldLock(this, acquirer, token, session, lock);
        session.track(held);
        return held;
    }

    /** A lock was released (or its session died): a session of its own that holds nothing more goes back. */
    @Override
    public void released(PostgresSession session, PostgresHeldLock held) {
        if (session.untrack(held) && (!session.isMultiplexed() || session.isDead())) endSession(session);
        waits.changedHands(held.advisory().id());
    }

    /**
     * A shared session for one try, claimed by the caller: an idle one if any, else a new one
     * while there are fewer than {@link #maxShared}, else (all busy) the first, whose statements
     * then queue. Dead sessions are dropped and replaced.
     *
     * @return null if the deadline passed while the pool opened a connection
     */
    private PostgresSession claimShared(Deadline deadline) throws InterruptedException {
        PostgresSession last = lastUsed.get();
        if (last != null && !last.isDead() && last.claimIfIdle()) {
            if (shared.contains(last)) return last;
            last.unclaim(); // dropped meanwhile
        }
        for (PostgresSession s : shared) {
            if (s.isDead()) shared.remove(s);
            else if (s.claimIfIdle()) {
                lastUsed.set(s);
                return s;
            }
        }
        PostgresSession fresh = openShared(deadline);
        if (fresh != null) {
            lastUsed.set(fresh);
            return fresh;
        }
        for (PostgresSession s : shared) {
            if (!s.isDead()) {
                s.claim();
                return s;
            }
        }
        return shared.isEmpty() && !deadline.hasExpired() ? claimShared(deadline) : null;
    }

    private void dropShared(PostgresSession session, String reason) {
        shared.remove(session);
        sessions.remove(session);
        session.die(reason);
    }

    private void endSession(PostgresSession session) {
        if (sessions.remove(session)) session.end();
    }

    /** A session on a newly borrowed connection; null if the deadline passed first (see {@link PostgresConnections#borrow}). */
    private PostgresSession newSession(boolean multiplex, Deadline deadline) throws InterruptedException {
        java.sql.Connection c = connections.borrow(deadline);
        if (c == null) return null;
        PostgresSession session = new PostgresSession(connections, c, multiplex, false);
        sessions.add(session);
        return session;
    }

    @Override
    public void probe() {
        List<PostgresSession> dead = PostgresSession.probeAll(sessions, connections.helpers(), probeTimeoutSeconds);
        for (PostgresSession s : dead) {
            shared.remove(s);
            sessions.remove(s);
        }
    }

    @Override
    public void close() {
        for (PostgresSession s : sessions) endSession(s);
        shared.clear();
    }
}
