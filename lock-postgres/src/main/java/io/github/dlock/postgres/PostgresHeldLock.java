package io.github.dlock.postgres;

import io.github.dlock.spi.HeldLock;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One acquisition: the advisory lock and the session that holds it.
 *
 * <p>Release never throws for a lock that is gone or that closing its session frees: if the
 * session died (terminated, timed out, network), the handle reports {@code lost()}; if the
 * unlock statement failed otherwise, the session is closed, which frees the lock (and reports
 * the session's other locks lost).
 */
final class PostgresHeldLock extends HeldLock {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresHeldLock.class);
    private final AdvisoryLocking locking;
    private final PostgresNotifications notifications;
    private final PostgresSession session;
    private final Advisory lock;
    private final String notifyChannel;
    private final WaitingSessions waits;

    PostgresHeldLock(AdvisoryLocking locking, PostgresAcquirer acquirer, long fencingToken, PostgresSession session, Advisory lock) {
        super(acquirer.name, fencingToken);
        this.locking = locking;
        this.waits = acquirer.provider.waitingSessions();
        this.notifications = acquirer.provider.notifications();
        this.session = session;
        this.lock = lock;
        this.notifyChannel = acquirer.notifyChannel();
    }

    Advisory advisory() {
        return lock;
    }

    /**
     * The session died with the lock: this process's semaphore waiters try again at once (the
     * server sends no NOTIFY for a lock its session took along), and so do waiters queued for a
     * waiting session (those already waiting in the server are granted it by the server).
     */
    @Override
    protected void wakeLocalWaiters() {
        if (notifyChannel != null) notifications.releasedLocally(notifyChannel);
        waits.changedHands(lock.id());
    }

    @Override
    protected void releaseInBackend() {
        try {
            if (session.isDead()) {
                lostWhileReleasing("its database session had ended, and the lock with it");
                return;
            }
            session.unlock(lock, notifyChannel);
        } catch (SQLException e) {
            if (PostgresConnections.isConnectionFailure(e)) {
                lostWhileReleasing("its database session had ended, and the lock with it: " + e.getMessage());
                session.die("its database session ended: " + e.getMessage());
            } else {
                LOG.warn("Unlocking advisory lock {} failed ({}); closing its session, which frees it", lock.id(), e.getMessage());
                session.die("a failed unlock on its session closed it: " + e.getMessage());
            }
        } finally {
            locking.released(session, this);
            if (notifyChannel != null) notifications.releasedLocally(notifyChannel);
        }
    }
}
