package io.github.dlock.redis;

import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;

/** Ending a subscriber thread and its connection, shared by {@link RedisSubscriptions} and {@link RedisShardedSubscriptions}. */
final class SubscriberThreads {
    private static final Logger LOG = LoggerFactory.getLogger(SubscriberThreads.class);

    /** How long {@code close()} waits for each subscriber thread to end. */
    static final long STOP_WAIT_MS = 5_000;

    private SubscriberThreads() {}

    /**
     * Interrupts {@code thread} and closes {@code connection} under it without a word to the
     * server (which may not answer): its blocking read ends at once.
     */
    static void stop(Thread thread, Jedis connection, Object server) {
        if (thread != null) thread.interrupt();
        disconnect(connection, server);
    }

    /**
     * Closes {@code connection} (if not null) under its reading thread without a word to the
     * server (which may not answer): the thread's blocking read ends at once with an exception.
     */
    static void disconnect(Jedis connection, Object server) {
        if (connection == null) return;
        try {
            connection.getConnection().forceDisconnect();
        } catch (IOException | RuntimeException e) {
            LOG.debug("Closing the subscriber connection to Redis {} failed", server, e);
        }
    }

    /**
     * What a subscriber's heartbeat knows of its connection (see {@link SubscriberHeartbeat}):
     * when the server was last heard from and when the last ping went out. The reading thread
     * calls {@link #heard()} on everything the server sends; the heartbeat thread calls
     * {@link #check}.
     */
    static final class Liveness {
        private volatile long heardAt = System.nanoTime(); // the connection's start at first
        private volatile long pingedAt; // 0: no ping out since the server was last heard

        /** The server sent something (an answer, a confirmation, a message). */
        void heard() {
            heardAt = System.nanoTime();
            pingedAt = 0;
        }

        /**
         * One heartbeat: {@code true} if the connection is to be given up (logged), because a
         * ping went unanswered for {@code timeoutNanos}, or nothing at all was heard for two
         * intervals plus the timeout (no ping could be written, or the subscription was never
         * confirmed); pings with {@code ping} (which must not block for long and says whether it
         * sent one) if the connection was silent for an interval and no ping is out.
         */
        boolean check(long now, long intervalNanos, long timeoutNanos, Object server, java.util.function.BooleanSupplier ping) {
            long silent = now - heardAt;
            long pinged = pingedAt;
            if (pinged != 0 && now - pinged > timeoutNanos) {
                LOG.info("Redis {} did not answer the subscriber's ping within {} ms; reconnecting its waiters' subscriptions", server,
                        java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(now - pinged));
                return true;
            }
            if (silent > 2 * intervalNanos + timeoutNanos) {
                LOG.info("Redis {} has not answered the subscriber for {} ms; reconnecting its waiters' subscriptions", server,
                        java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(silent));
                return true;
            }
            if (pinged == 0 && silent >= intervalNanos) {
                pingedAt = now; // before sending: the answer may come before ping returns
                if (!ping.getAsBoolean()) pingedAt = 0;
            }
            return false;
        }
    }

    /** Waits up to {@link #STOP_WAIT_MS} for {@code thread} to end (not for itself); warns if it did not. */
    static void awaitStopped(Thread thread, Object server) {
        if (thread == null || thread == Thread.currentThread()) return;
        try {
            thread.join(STOP_WAIT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (thread.isAlive()) LOG.warn("The subscriber to Redis {} did not end within {} ms of close()", server, STOP_WAIT_MS);
    }
}
