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
     * What a subscriber's heartbeat does with its connection (see {@link SubscriberHeartbeat}):
     * {@code true} if it is to be closed because nothing was heard from the server for
     * {@code deadAfterNanos} (logged); pings with {@code ping} (which must not block for
     * long) if it was silent for {@code intervalNanos}.
     */
    static boolean silentTooLong(long heardAt, long now, long intervalNanos, long deadAfterNanos, Object server, Runnable ping) {
        long silent = now - heardAt;
        if (silent > deadAfterNanos) {
            LOG.info("Redis {} has not answered the subscriber for {} ms; reconnecting its waiters' subscriptions", server,
                    java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(silent));
            return true;
        }
        if (silent >= intervalNanos) ping.run();
        return false;
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
