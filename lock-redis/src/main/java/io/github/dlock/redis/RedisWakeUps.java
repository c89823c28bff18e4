package io.github.dlock.redis;

import io.github.dlock.internal.WakeSignal;

/**
 * How a provider's waiters learn that a lock they wait for was released: release scripts
 * publish on the lock's channel ({@link RedisKeys#channel()}) and this listens. Waiters
 * still retry on a timer, so a message lost to a reconnect or a moving slot only delays them.
 * Thread-safe.
 */
interface RedisWakeUps extends AutoCloseable {

    /**
     * Registers interest in {@code channel} and waits until the server(s) confirmed the
     * subscription (at most {@code maxWaitNanos}; after that the waiter relies on its retry
     * timer until the confirmation comes), so a release published after this returns is
     * never missed. Pair with {@link #unsubscribe}, also if this throws.
     *
     * @param oneAtATime true if a release message on {@code channel} lets in at most one waiter
     *     of this kind (mutex, semaphore permit): it then wakes one waiter, not all
     *     ({@link io.github.dlock.internal.WakeChannels})
     * @throws InterruptedException if interrupted while waiting for the confirmation
     */
    WakeSignal subscribe(String channel, boolean oneAtATime, long maxWaitNanos) throws InterruptedException;

    /** The signal this provider's waiters on {@code channel} wait on, or null if none is subscribed now. */
    WakeSignal waiting(String channel);

    /** Ends one {@link #subscribe} of {@code channel} (with the same {@code oneAtATime}). */
    void unsubscribe(String channel, boolean oneAtATime);

    /** Wakes this provider's waiters on {@code channel} as a release message would (a holder here lost the lock). */
    void wakeLocally(String channel);

    /** Stops listening; returns once the listening threads ended (bounded, also if a server stopped answering). */
    @Override
    void close();
}
