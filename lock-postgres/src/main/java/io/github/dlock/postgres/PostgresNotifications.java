package io.github.dlock.postgres;

import io.github.dlock.internal.WakeChannels;
import io.github.dlock.internal.WakeSignal;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes semaphore waiters when a permit is released: one connection per provider (taken on
 * the first wait) LISTENs to exactly the channels somebody waits on; its thread applies
 * LISTEN/UNLISTEN requests and polls for notifications every {@value #POLL_MS} ms. Waiters
 * also retry on a timer, so a notification missed during a reconnect only delays them.
 * Releases in this process wake this process's waiters directly.
 */
final class PostgresNotifications implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresNotifications.class);
    private static final int POLL_MS = 50;

    private final DataSource dataSource;
    private final WakeChannels channels;
    private final Queue<String> commands = new ConcurrentLinkedQueue<>();
    /** Per channel listened to: completed once its LISTEN ran on the listener connection. */
    private final java.util.Map<String, java.util.concurrent.CompletableFuture<Void>> listening = new java.util.concurrent.ConcurrentHashMap<>();
    private Thread thread; // guarded by this
    private volatile boolean closed;

    /** With {@code listen} false (behind a pooler in transaction mode), only releases in this process wake waiters. */
    PostgresNotifications(DataSource dataSource, boolean listen) {
        this.dataSource = dataSource;
        this.channels = listen
                ? new WakeChannels(c -> {
                    listening.put(c, new java.util.concurrent.CompletableFuture<>());
                    request("LISTEN " + c);
                }, c -> {
                    listening.remove(c);
                    request("UNLISTEN " + c);
                })
                : new WakeChannels(c -> { }, c -> { });
    }

    /**
     * Registers a waiter for a permit of the semaphore on {@code channel} (a NOTIFY is one
     * released permit, so it wakes one waiter) and waits, at most {@code maxWaitNanos}, until
     * the listener connection LISTENs to it: a NOTIFY committed before that is never delivered,
     * so a waiter that went on at once slept through a release that came right after it began
     * (review: 32 of 40 such releases missed, each costing the waiter its retry pause). Pair
     * with {@link #leave}, also if this throws.
     *
     * @throws InterruptedException if interrupted while waiting for the LISTEN
     */
    WakeSignal join(String channel, long maxWaitNanos) throws InterruptedException {
        WakeSignal signal = channels.join(channel, true);
        java.util.concurrent.CompletableFuture<Void> listened = listening.get(channel);
        if (listened != null && maxWaitNanos > 0) {
            try {
                listened.get(maxWaitNanos, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                LOG.debug("Not listening to {} yet; the waiter relies on its retry timer until then", channel);
            }
        }
        return signal;
    }

    void leave(String channel) {
        channels.leave(channel, true);
    }

    /** A permit was released in this process: its waiters need not wait for the NOTIFY. */
    void releasedLocally(String channel) {
        channels.notify(channel);
    }

    private synchronized void request(String command) {
        commands.add(command);
        if (thread == null && !closed) {
            thread = new Thread(this::loop, "dlock-postgres-listener");
            thread.setDaemon(true);
            thread.start();
        }
    }

    private void loop() {
        long backoffMs = 50;
        while (!closed) {
            try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
                commands.clear();
                for (String channel : channels.channels()) {
                    statement.execute("LISTEN " + channel);
                    listened(channel);
                }
                channels.wakeEveryone(); // a release may have come before we listened
                PGConnection pg = connection.unwrap(PGConnection.class);
                backoffMs = 50;
                while (!closed) {
                    for (String command; (command = commands.poll()) != null; ) {
                        statement.execute(command);
                        if (command.startsWith("LISTEN ")) listened(command.substring("LISTEN ".length()));
                    }
                    PGNotification[] received = pg.getNotifications(POLL_MS);
                    if (received != null) {
                        for (PGNotification n : received) channels.notify(n.getName());
                    }
                }
                statement.execute("UNLISTEN *");
            } catch (SQLException | RuntimeException e) {
                if (closed) return;
                LOG.debug("Listener connection failed; reconnecting", e);
                channels.wakeEveryone();
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException interrupted) {
                    return;
                }
                backoffMs = Math.min(2000, backoffMs * 2);
            }
        }
    }

    private void listened(String channel) {
        java.util.concurrent.CompletableFuture<Void> f = listening.get(channel);
        if (f != null) f.complete(null);
    }

    /** Stops the listener and waits (briefly) until it has given its connection back. */
    @Override
    public void close() {
        Thread listener;
        synchronized (this) {
            closed = true;
            listener = thread;
        }
        if (listener == null) return;
        try {
            listener.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
