package io.github.dlock.redis;

import io.github.dlock.internal.WakeChannels;
import io.github.dlock.internal.WakeSignal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;

/**
 * Wakes waiters when a lock they wait for is released: release scripts PUBLISH on the lock's
 * channel, and this provider listens through one subscriber connection per server (started
 * on the first wait; outside any pool, also on a caller's client), subscribed to exactly the
 * channels somebody waits on. Waiters still retry on a timer, so a message lost to a reconnect
 * only delays them. A {@link SubscriberHeartbeat} pings silent connections and reconnects one
 * whose server stopped answering or, on a Sentinel set, that no longer goes to the master (so a
 * failover away from a stalled master moves the subscriptions within seconds).
 * {@link #close()} ends the subscriber threads and their connections before it returns, also
 * when a server has stopped answering.
 */
final class RedisSubscriptions implements RedisWakeUps {
    private static final Logger LOG = LoggerFactory.getLogger(RedisSubscriptions.class);

    /** How long {@link #close()} waits for each subscriber thread to end. */
    static final long STOP_WAIT_MS = SubscriberThreads.STOP_WAIT_MS;

    private final List<NodeSubscriber> subscribers = new ArrayList<>();
    private final WakeChannels channels;
    private final SubscriberHeartbeat heartbeat;
    private volatile boolean closed;

    /**
     * @param nodes the servers, one subscriber connection each (made on the first wait)
     * @param timeoutNanos the provider's call timeout: a subscriber connection that has not
     *     answered a ping within it is reconnected
     */
    RedisSubscriptions(List<RedisServerNode> nodes, long timeoutNanos) {
        this.heartbeat = new SubscriberHeartbeat(timeoutNanos);
        for (RedisServerNode node : nodes) subscribers.add(new NodeSubscriber(node));
        this.channels = new WakeChannels(c -> subscribers.forEach(s -> s.add(c)), c -> subscribers.forEach(s -> s.remove(c)));
    }

    /**
     * Waits for the confirmation of a majority of the servers (the one server, on one): a
     * holder holds the lock on at least a majority, so a release deletes it, and publishes, on
     * at least one server whose confirmation came. Waiting for every server made each new
     * waiter sit out the full wait while one server was stopped (review: a waiter waited 6–22 s
     * while the lock changed hands hundreds of times).
     */
    @Override
    public WakeSignal subscribe(String channel, boolean oneAtATime, long maxWaitNanos) throws InterruptedException {
        WakeSignal signal = channels.join(channel, oneAtATime);
        long end = System.nanoTime() + maxWaitNanos;
        int needed = subscribers.size() / 2 + 1;
        while (true) {
            List<CompletableFuture<Void>> open = new ArrayList<>(subscribers.size());
            for (NodeSubscriber s : subscribers) {
                CompletableFuture<Void> confirmed = s.confirmation(channel);
                if (!confirmed.isDone()) open.add(confirmed);
            }
            if (subscribers.size() - open.size() >= needed) return signal;
            long left = end - System.nanoTime();
            if (left <= 0) {
                LOG.debug("{} of {} Redis servers have not confirmed the subscription to {} yet", open.size(), subscribers.size(), channel);
                return signal;
            }
            try {
                CompletableFuture.anyOf(open.toArray(new CompletableFuture<?>[0])).get(left, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                // counted on the next pass
            } catch (ExecutionException e) {
                throw new IllegalStateException("confirmations never fail", e);
            }
        }
    }

    @Override
    public WakeSignal waiting(String channel) {
        return channels.joined(channel);
    }

    @Override
    public void unsubscribe(String channel, boolean oneAtATime) {
        channels.leave(channel, oneAtATime);
    }

    /** Wakes this provider's waiters on {@code channel} as a release message would (a holder here lost the lock). */
    @Override
    public void wakeLocally(String channel) {
        channels.notify(channel);
    }

    private void released(String channel) {
        channels.notify(channel);
    }

    private void wakeEveryone() {
        channels.wakeEveryone();
    }

    /**
     * Stops listening: closes every subscriber connection (without waiting for a server that
     * may not answer) and waits up to {@link #STOP_WAIT_MS} for each subscriber thread to end,
     * which may be in the middle of opening a connection (bounded by the socket timeout).
     */
    @Override
    public void close() {
        closed = true;
        heartbeat.close();
        subscribers.forEach(NodeSubscriber::stop);
        subscribers.forEach(NodeSubscriber::awaitStopped);
    }

    /** The subscriber connection to one server and the thread that reads it. */
    private final class NodeSubscriber implements SubscriberHeartbeat.Subscriber {
        private final RedisServerNode node;
        private final String controlChannel = "dlock:__subscriber__:" + UUID.randomUUID();
        private final Set<String> wanted = ConcurrentHashMap.newKeySet();
        /** Per wanted channel: completed when the server confirmed the SUBSCRIBE. */
        private final Map<String, CompletableFuture<Void>> confirmations = new ConcurrentHashMap<>();
        private volatile Handler handler;
        /** The subscriber connection while it is open, for {@link #stop} to close. */
        private volatile Jedis connection;
        private volatile Thread thread; // started under the WakeChannels lock
        /** Whether a connection of this subscriber was ever confirmed: only a reconnect may have missed a release. */
        private volatile boolean connectedBefore;

        NodeSubscriber(RedisServerNode node) {
            this.node = node;
        }

        CompletableFuture<Void> confirmation(String channel) {
            return confirmations.computeIfAbsent(channel, c -> new CompletableFuture<>());
        }

        void add(String channel) {
            wanted.add(channel);
            confirmations.put(channel, new CompletableFuture<>());
            if (thread == null && !closed) {
                thread = new Thread(this::readLoop, "dlock-redis-subscriber-" + node.address());
                thread.setDaemon(true);
                thread.start();
                heartbeat.register(this);
            }
            Handler h = handler;
            if (h != null) h.send(() -> h.subscribe(channel));
        }

        void remove(String channel) {
            wanted.remove(channel);
            confirmations.remove(channel);
            Handler h = handler;
            if (h != null) h.send(() -> h.unsubscribe(channel));
        }

        /** Closes the connection under the reading thread (no UNSUBSCRIBE: the server may not answer). */
        void stop() {
            SubscriberThreads.stop(thread, connection, node.address());
        }

        void awaitStopped() {
            SubscriberThreads.awaitStopped(thread, node.address());
        }

        @Override
        public void beat(long now, long intervalNanos, long timeoutNanos) {
            Handler h = handler;
            Jedis c = connection;
            if (h == null || c == null) return; // connecting or backing off: the socket timeouts bound that
            redis.clients.jedis.HostAndPort master = node.currentMaster();
            if (master != null && !master.equals(h.server)) {
                LOG.info("The sentinels name {} the master now; moving the subscriber from {}", master, h.server);
                SubscriberThreads.disconnect(c, h.server);
                return;
            }
            if (h.liveness.check(now, intervalNanos, timeoutNanos, h.server, h::pingIfFree)) {
                SubscriberThreads.disconnect(c, h.server);
            }
        }

        private void readLoop() {
            long backoffMs = 50;
            while (!closed) {
                try (Jedis c = node.newConnection()) {
                    connection = c;
                    if (closed) return; // stop() ran before it could see this connection
                    Handler h = new Handler(c.getConnection().getHostAndPort());
                    handler = h;
                    c.subscribe(h, controlChannel);
                } catch (RuntimeException e) {
                    if (closed) return;
                    LOG.debug("Subscriber connection to Redis {} failed; reconnecting", node.address(), e);
                } finally {
                    Handler h = handler;
                    if (h != null && h.confirmed) backoffMs = 50; // it worked: the next failure starts the backoff over
                    connection = null;
                    handler = null;
                    confirmations.replaceAll((c, f) -> f.isDone() ? new CompletableFuture<>() : f); // to be confirmed again
                }
                wakeEveryone(); // a release may have been missed while disconnected
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException e) {
                    return;
                }
                backoffMs = Math.min(2000, backoffMs * 2);
            }
        }

        /** Receives release messages; (un)subscribes on behalf of other threads. */
        private final class Handler extends JedisPubSub {
            private final ReentrantLock sending = new ReentrantLock(); // not a monitor: it writes to the socket
            /** The server this connection goes to. */
            final redis.clients.jedis.HostAndPort server;
            /** When the server was last heard from, and pinged. */
            final SubscriberThreads.Liveness liveness = new SubscriberThreads.Liveness();
            /** Whether the server confirmed the control channel: the connection worked. */
            volatile boolean confirmed;

            Handler(redis.clients.jedis.HostAndPort server) {
                this.server = server;
            }

            /** For the heartbeat: a PING, unless another thread is writing (then it needs none); whether it was sent. */
            boolean pingIfFree() {
                if (!sending.tryLock()) return false;
                try {
                    if (!isSubscribed()) return false;
                    ping();
                    return true;
                } catch (RuntimeException e) {
                    LOG.debug("Ping of the subscriber connection to Redis {} failed", server, e);
                    return false;
                } finally {
                    sending.unlock();
                }
            }

            @Override
            public void onPong(String pattern) {
                liveness.heard();
            }

            @Override
            public void onUnsubscribe(String channel, int count) {
                liveness.heard();
            }

            void send(Runnable command) {
                sending.lock();
                try {
                    if (isSubscribed()) command.run();
                } catch (RuntimeException e) {
                    LOG.debug("Subscriber command to Redis {} failed", node.address(), e);
                } finally {
                    sending.unlock();
                }
            }

            @Override
            public void onSubscribe(String channel, int count) {
                liveness.heard();
                if (channel.equals(controlChannel)) {
                    confirmed = true;
                    boolean reconnected = connectedBefore;
                    connectedBefore = true;
                    if (!wanted.isEmpty()) {
                        String[] all = wanted.toArray(new String[0]);
                        send(() -> subscribe(all));
                        // after a reconnect a release may have been missed; a first connection missed nothing
                        // (a waiter went on once a majority confirmed, and a release publishes on a majority):
                        // waking then cut a Redlock waiter's retry pause short (RedisWakeUpTest)
                        if (reconnected) wakeEveryone();
                    }
                    return;
                }
                CompletableFuture<Void> confirmed = confirmations.get(channel);
                if (confirmed != null) confirmed.complete(null);
            }

            @Override
            public void onMessage(String channel, String message) {
                liveness.heard();
                released(channel);
            }
        }
    }
}
