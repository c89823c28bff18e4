package io.github.dlock.postgres;

import io.github.dlock.LockBackendException;
import io.github.dlock.spi.HeldLock;
import java.sql.SQLException;

/** One acquisition: the advisory lock and the session that holds it. */
final class PostgresHeldLock extends HeldLock {
    private final AdvisoryLocking locking;
    private final PostgresNotifications notifications;
    private final PostgresSession session;
    private final Advisory lock;
    private final String notifyChannel;

    PostgresHeldLock(AdvisoryLocking locking, PostgresAcquirer acquirer, long fencingToken, PostgresSession session, Advisory lock) {
        super(acquirer.name, fencingToken);
        this.locking = locking;
        this.notifications = acquirer.provider.notifications();
        this.session = session;
        this.lock = lock;
        this.notifyChannel = acquirer.notifyChannel();
    }

    @Override
    protected void releaseInBackend() {
        try {
            if (session.isDead()) return; // the session ended, and its locks with it
            session.unlock(lock, notifyChannel);
        } catch (SQLException e) {
            session.die("unlock failed: " + e.getMessage());
            throw new LockBackendException("could not release advisory lock " + lock.id() + "; its session was closed, which frees it", e);
        } finally {
            locking.released(session, this);
            if (notifyChannel != null) notifications.releasedLocally(notifyChannel);
        }
    }
}
