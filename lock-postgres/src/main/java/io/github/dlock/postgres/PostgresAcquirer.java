package io.github.dlock.postgres;

import io.github.dlock.spi.AcquireLoop;
import io.github.dlock.spi.Acquirer;
import io.github.dlock.spi.Deadline;
import io.github.dlock.spi.HeldLock;
import io.github.dlock.spi.WakeSignal;
import java.util.List;

/**
 * The acquisition steps of every PostgreSQL lock kind: first a try-lock (see
 * {@link AdvisoryLocking} for where it is held); if that fails and the caller will wait, either
 * a wait inside the server on a connection of its own (mutex and read-write lock: PostgreSQL
 * queues it and grants it the moment the lock is free), or, for semaphores, which take any
 * free permit, try-locks woken by NOTIFY from releases (and by releases in this process).
 */
abstract class PostgresAcquirer implements Acquirer {
    final PostgresLockProvider provider;
    final String name;

    PostgresAcquirer(PostgresLockProvider provider, String name) {
        this.provider = provider;
        this.name = name;
    }

    /** The advisory locks any one of which grants this lock (one, or a semaphore's permits). */
    abstract List<Advisory> candidates();

    /** The channel releases NOTIFY and waiters LISTEN on, or null when waits happen in the server. */
    String notifyChannel() {
        return null;
    }

    @Override
    public final HeldLock tryAcquire(Deadline deadline) throws InterruptedException {
        if (Thread.interrupted()) throw new InterruptedException();
        AdvisoryLocking locking = provider.locking();
        HeldLock held = locking.tryOnce(this);
        if (held != null || deadline.isImmediate()) return held;
        String channel = notifyChannel();
        if (channel == null) return locking.waitInServer(this, candidates().get(0), deadline);
        WakeSignal wake = provider.notifications().join(channel);
        try {
            return AcquireLoop.run(deadline, provider.retryStrategy(), wake, () -> locking.tryOnce(this), 1);
        } finally {
            provider.notifications().leave(channel);
        }
    }
}
