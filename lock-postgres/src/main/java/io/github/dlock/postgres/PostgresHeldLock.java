package io.github.dlock.postgres;

import io.github.dlock.LockBackendException;
import io.github.dlock.spi.HeldLock;
import java.sql.SQLException;

/** One acquisition: the advisory lock and the session that holds it. */
final class PostgresHeldLock extends HeldLock {
    private final PostgresLockProvider provider;
    private final PostgresSession session;
    private final Advisory lock;
    private final String notifyChannel;

    PostgresHeldLock(PostgresLockProvider provider, String name, long fencingToken, PostgresSession session, Advisory lock, String notifyChannel) {
        super(name, fencingToken);
        this.provider = provider;
        this.session = session;
        this.lock = lock;
        this.notifyChannel = notifyChannel;
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
            provider.released(session, this);
        }
    }
}
