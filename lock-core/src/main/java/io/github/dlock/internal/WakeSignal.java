package io.github.dlock.internal;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Wakes waiters early when a lock may have become free (a local release, a Redis release
 * message, a PostgreSQL NOTIFY). Generation-counted, so a signal sent between an attempt
 * and the wait that follows it is never missed. Waits park on a {@link ReentrantLock}'s
 * condition, never on a monitor, so a waiting virtual thread does not pin its carrier.
 */
public final class WakeSignal {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private volatile long generation; // written under lock

    /** Read before an attempt and pass to {@link #awaitChange}. */
    public long generation() {
        return generation;
    }

    /** Wakes every waiter. */
    public void signalAll() {
        lock.lock();
        try {
            generation++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits up to {@code nanos} unless a signal arrived since {@code seenGeneration} was read.
     *
     * @throws InterruptedException if the thread is interrupted
     */
    public void awaitChange(long seenGeneration, long nanos) throws InterruptedException {
        if (generation != seenGeneration) return;
        lock.lockInterruptibly();
        try {
            long left = nanos;
            while (generation == seenGeneration && left > 0) left = changed.awaitNanos(left);
        } finally {
            lock.unlock();
        }
    }
}
