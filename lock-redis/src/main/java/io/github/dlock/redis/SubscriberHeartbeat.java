package io.github.dlock.redis;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices subscriber connections that stopped answering. A subscriber blocks in a read without
 * a timeout (a pub/sub connection is silent while no lock is released), so a server that
 * stalls (paused, swapped out, a network path that drops packets without a reset) would keep
 * its subscriber waiting forever, and a failover away from it would never move the
 * subscription: waiters would then be woken only by their retry timer. Every
 * {@link #INTERVAL_MS} ms, on a daemon thread of its own ({@code dlock-redis-heartbeat},
 * started with the first subscriber, ended by {@link #close()}), each registered subscriber
 * checks its connection ({@link Subscriber#beat}): it pings the server when it has heard nothing
 * for an interval, and closes the connection under its reading thread (which then reconnects,
 * to the current master) when a ping went unanswered for the provider's call timeout (or,
 * when no ping could be written, nothing was heard for two intervals plus the timeout), or
 * when its server is no longer the master it should listen to.
 */
final class SubscriberHeartbeat implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SubscriberHeartbeat.class);

    /** How often each subscriber connection is checked, and pinged when silent. */
    static final long INTERVAL_MS = 1_000;

    /** One subscriber connection, as the heartbeat sees it. */
    interface Subscriber {
        /**
         * Checks the connection once: pings it if silent for {@code intervalNanos}, closes it if
         * a ping went unanswered for {@code timeoutNanos} (see {@link SubscriberThreads.Liveness})
         * or if it no longer goes to the right server. Runs on
         * the heartbeat thread; must not block on the server (a ping that cannot be written at
         * once is skipped).
         *
         * @param now {@link System#nanoTime()} now
         * @param intervalNanos the heartbeat interval
         * @param timeoutNanos the provider's call timeout: how long a ping may go unanswered
         */
        void beat(long now, long intervalNanos, long timeoutNanos);
    }

    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final long timeoutNanos;
    private final ReentrantLock starting = new ReentrantLock();
    private ScheduledThreadPoolExecutor timer; // guarded by starting
    private boolean closed; // guarded by starting

    /**
     * @param timeoutNanos the provider's call timeout: a connection whose ping went unanswered
     *     this long is given up
     */
    SubscriberHeartbeat(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    /** Checks {@code subscriber} from now on; starts the heartbeat thread on the first call. */
    void register(Subscriber subscriber) {
        subscribers.add(subscriber);
        starting.lock();
        try {
            if (timer != null || closed) return;
            timer = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "dlock-redis-heartbeat");
                t.setDaemon(true);
                return t;
            });
            timer.setRemoveOnCancelPolicy(true);
            timer.scheduleWithFixedDelay(this::beat, INTERVAL_MS, INTERVAL_MS, TimeUnit.MILLISECONDS);
        } finally {
            starting.unlock();
        }
    }

    /** Stops checking {@code subscriber} (its thread ended). */
    void unregister(Subscriber subscriber) {
        subscribers.remove(subscriber);
    }

    private void beat() {
        long interval = TimeUnit.MILLISECONDS.toNanos(INTERVAL_MS);
        for (Subscriber s : subscribers) {
            try {
                s.beat(System.nanoTime(), interval, timeoutNanos);
            } catch (RuntimeException e) {
                LOG.debug("Heartbeat of a Redis subscriber failed", e);
            }
        }
    }

    /** Ends the heartbeat thread (without waiting for a check in progress). */
    @Override
    public void close() {
        starting.lock();
        try {
            closed = true;
            if (timer != null) timer.shutdownNow();
        } finally {
            starting.unlock();
        }
    }
}
