package io.github.dlock.spi;

/**
 * Wakes waiters early when a lock may have become free (a local release, a Redis release
 * message, a PostgreSQL NOTIFY). Generation-counted, so a signal sent between an attempt
 * and the wait that follows it is never missed.
 */
public final class WakeSignal {
    private long generation;

    /** Read before an attempt and pass to {@link #awaitChange}. */
    public synchronized long generation() {
        return generation;
    }

    /** Wakes every waiter. */
    public synchronized void signalAll() {
        generation++;
        notifyAll();
    }

    /**
     * Waits up to {@code nanos} unless a signal arrived since {@code seenGeneration} was read.
     *
     * @throws InterruptedException if the thread is interrupted
     */
    public synchronized void awaitChange(long seenGeneration, long nanos) throws InterruptedException {
        long end = System.nanoTime() + nanos;
        long left = nanos;
        while (generation == seenGeneration && left > 0) {
            wait(left / 1_000_000, (int) (left % 1_000_000));
            left = end - System.nanoTime();
        }
    }
}
