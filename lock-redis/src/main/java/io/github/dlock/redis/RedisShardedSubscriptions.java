package io.github.dlock.redis;

import io.github.dlock.internal.WakeChannels;
import io.github.dlock.internal.WakeSignal;
import java.nio.charset.StandardCharsets;
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
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisShardedPubSub;

/**
 * Wake-ups on a Redis Cluster through sharded pub/sub: release scripts {@code SPUBLISH} on the
 * lock's channel, which only the master owning the channel's slot (the slot of the lock's
 * keys) and its replicas deliver; this keeps one subscriber connection per master that has
 * waiters here, {@code SSUBSCRIBE}d to exactly the channels waited on whose slot it serves.
 * When a slot moves (resharding, failover), the master tells its subscribers
 * ({@code SUNSUBSCRIBE} of the slot's channels); they are then subscribed at the slot's new
 * master and their waiters woken to retry (a release may have come meanwhile). A
 * {@link SubscriberHeartbeat} re-confirms each connection's control channel when it is silent
 * and reconnects one whose master stopped answering or left the slot map (a failover away
 * from a stalled master says nothing to its subscribers). Waiters also retry on their timer,
 * so a lost message only delays them.
 */
final class RedisShardedSubscriptions implements RedisWakeUps {
    private static final Logger LOG = LoggerFactory.getLogger(RedisShardedSubscriptions.class);

    private final RedisClusterNode cluster;
    private final WakeChannels channels;
    private final Map<HostAndPort, ShardSubscriber> subscribers = new ConcurrentHashMap<>();
    /** The subscriber each wanted channel is subscribed through. */
    private final Map<String, ShardSubscriber> routes = new ConcurrentHashMap<>();
    private final ReentrantLock routing = new ReentrantLock(); // not a monitor: the subscribers' sends write to sockets
    private final SubscriberHeartbeat heartbeat;
    private volatile boolean closed;

    /**
     * @param cluster the cluster whose masters deliver the release messages
     * @param timeoutNanos the provider's call timeout: a subscriber connection that has not
     *     answered a heartbeat within it is reconnected
     */
    RedisShardedSubscriptions(RedisClusterNode cluster, long timeoutNanos) {
        this.cluster = cluster;
        this.heartbeat = new SubscriberHeartbeat(timeoutNanos);
        this.channels = new WakeChannels(this::route, this::unroute);
    }

    @Override
    public WakeSignal subscribe(String channel, boolean oneAtATime, long maxWaitNanos) throws InterruptedException {
        WakeSignal signal = channels.join(channel, oneAtATime);
        ShardSubscriber s = routes.get(channel);
        if (s != null) {
            try {
                s.confirmation(channel).get(maxWaitNanos, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                LOG.debug("Redis {} has not confirmed the subscription to {} yet", s.master, channel);
            } catch (ExecutionException e) {
                throw new IllegalStateException("confirmations never fail", e);
            }
        }
        return signal;
    }

    @Override
    public WakeSignal waiting(String channel) {
        return channels.joined(channel);
    }

    @Override
    public void unsubscribe(String channel, boolean oneAtATime) {
        channels.leave(channel, oneAtATime);
    }

    @Override
    public void wakeLocally(String channel) {
        channels.notify(channel);
    }

    /** Subscribes {@code channel} at the master of its slot; without one in the slot map, waiters rely on their timer. */
    private void route(String channel) {
        routing.lock();
        try {
            if (closed) return;
            HostAndPort master = masterOf(channel);
            if (master == null) {
                cluster.refreshSlots();
                master = masterOf(channel);
            }
            if (master == null) {
                LOG.debug("No master of Redis Cluster {} serves the slot of {}; its waiters retry on their timer", cluster, channel);
                return;
            }
            ShardSubscriber s = subscribers.computeIfAbsent(master, ShardSubscriber::new);
            routes.put(channel, s);
            s.add(channel);
        } finally {
            routing.unlock();
        }
    }

    private void unroute(String channel) {
        routing.lock();
        try {
            ShardSubscriber s = routes.remove(channel);
            if (s != null) s.remove(channel);
        } finally {
            routing.unlock();
        }
    }

    private HostAndPort masterOf(String channel) {
        return cluster.masterOf(RedisClusterNode.slot(channel.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * {@code from} no longer serves the slot of these channels (it said so, or refused them):
     * each one still wanted through it is subscribed at its slot's master now, and its waiters
     * woken (a release may have been published on the new master meanwhile).
     */
    private void moved(ShardSubscriber from, List<String> moved) {
        cluster.refreshSlots();
        List<String> wake = new ArrayList<>();
        routing.lock();
        try {
            for (String channel : moved) {
                if (routes.get(channel) != from) continue;
                routes.remove(channel);
                from.remove(channel);
                wake.add(channel);
                route(channel);
            }
        } finally {
            routing.unlock();
        }
        wake.forEach(channels::notify);
    }

    /** Whether {@code master} serves the slot of {@code channel}, by the slot map. */
    private boolean serves(HostAndPort master, String channel) {
        return master.equals(masterOf(channel));
    }

    @Override
    public void close() {
        routing.lock();
        try {
            closed = true;
        } finally {
            routing.unlock();
        }
        heartbeat.close();
        subscribers.values().forEach(ShardSubscriber::stop);
        subscribers.values().forEach(ShardSubscriber::awaitStopped);
    }

    /** The subscriber connection to one master and the thread that reads it. */
    private final class ShardSubscriber implements SubscriberHeartbeat.Subscriber {
        private final HostAndPort master;
        private final Set<String> wanted = ConcurrentHashMap.newKeySet();
        private final Map<String, CompletableFuture<Void>> confirmations = new ConcurrentHashMap<>();
        private volatile Handler handler;
        private volatile Jedis connection;
        private volatile Thread thread;

        ShardSubscriber(HostAndPort master) {
            this.master = master;
        }

        CompletableFuture<Void> confirmation(String channel) {
            return confirmations.computeIfAbsent(channel, c -> new CompletableFuture<>());
        }

        void add(String channel) {
            wanted.add(channel);
            confirmations.put(channel, new CompletableFuture<>());
            if (thread == null && !closed) {
                thread = new Thread(this::readLoop, "dlock-redis-shard-subscriber-" + master);
                thread.setDaemon(true);
                thread.start();
                heartbeat.register(this);
            }
            Handler h = handler;
            if (h != null) h.send(() -> h.ssubscribe(channel));
        }

        void remove(String channel) {
            wanted.remove(channel);
            confirmations.remove(channel);
            Handler h = handler;
            if (h != null) h.send(() -> h.sunsubscribe(channel));
        }

        void stop() {
            SubscriberThreads.stop(thread, connection, master);
        }

        void awaitStopped() {
            SubscriberThreads.awaitStopped(thread, master);
        }

        @Override
        public void beat(long now, long intervalNanos, long timeoutNanos) {
            Handler h = handler;
            Jedis c = connection;
            if (h == null || c == null) return; // connecting or backing off: the socket timeouts bound that
            if (!cluster.masters().contains(master)) {
                LOG.info("Redis {} is no master of the cluster any more; moving its subscriptions", master);
                SubscriberThreads.disconnect(c, master);
                return;
            }
            if (h.liveness.check(now, intervalNanos, timeoutNanos, master, h::pingIfFree)) {
                SubscriberThreads.disconnect(c, master);
            }
        }

        /**
         * A shard channel of a slot this master serves, which keeps the connection subscribed
         * while no lock is waited on; {@code null} if it serves none (any more).
         */
        private String controlChannel() {
            String base = "dlock:__subscriber__:" + UUID.randomUUID() + ":";
            for (int i = 0; i < 100_000; i++) {
                String channel = "{" + base + i + "}";
                if (serves(master, channel)) return channel;
            }
            return null;
        }

        /** Ends this subscriber if nobody waits through it and its server is no master any more (failed over, removed). */
        private boolean retired() {
            routing.lock();
            try {
                if (!wanted.isEmpty() || cluster.masters().contains(master)) return false;
                subscribers.remove(master, this);
                heartbeat.unregister(this);
                return true;
            } finally {
                routing.unlock();
            }
        }

        private void readLoop() {
            long backoffMs = 50;
            while (!closed) {
                if (retired()) return;
                String control = controlChannel();
                if (control == null) {
                    LOG.debug("Redis {} serves no slot any more; its channels move to their new masters", master);
                    moved(this, List.copyOf(wanted));
                } else {
                    try (Jedis c = cluster.newConnection(master)) {
                        connection = c;
                        if (closed) return;
                        Handler h = new Handler(control);
                        handler = h;
                        h.proceed(c.getConnection(), control);
                    } catch (RuntimeException e) {
                        if (closed) return;
                        LOG.debug("Subscriber connection to Redis {} failed; reconnecting", master, e);
                        cluster.refreshSlots(); // e.g. MOVED for a channel whose slot left: the map below must know
                    } finally {
                        Handler h = handler;
                        if (h != null && h.confirmed) backoffMs = 50; // it worked: the next failure starts the backoff over
                        connection = null;
                        handler = null;
                        confirmations.replaceAll((c, f) -> f.isDone() ? new CompletableFuture<>() : f);
                    }
                }
                // a release may have been missed while disconnected, and a slot may have moved
                List<String> elsewhere = wanted.stream().filter(ch -> !serves(master, ch)).toList();
                if (!elsewhere.isEmpty()) moved(this, elsewhere);
                wanted.forEach(channels::notify);
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException e) {
                    return;
                }
                backoffMs = Math.min(2000, backoffMs * 2);
            }
        }

        /** Receives release messages; (un)subscribes on behalf of other threads. */
        private final class Handler extends JedisShardedPubSub {
            private final String control;
            private final ReentrantLock sending = new ReentrantLock();
            /** When the server was last heard from, and pinged. */
            final SubscriberThreads.Liveness liveness = new SubscriberThreads.Liveness();
            /** Whether the control channel's first confirmation came (later ones answer the heartbeat). */
            private volatile boolean confirmed;

            Handler(String control) {
                this.control = control;
            }

            /**
             * For the heartbeat: asks the server to confirm the control channel again (sharded
             * pub/sub has no PING), unless another thread is writing (then it needs none); whether it was sent.
             */
            boolean pingIfFree() {
                if (!sending.tryLock()) return false;
                try {
                    if (!isSubscribed()) return false;
                    ssubscribe(control);
                    return true;
                } catch (RuntimeException e) {
                    LOG.debug("Heartbeat of the subscriber connection to Redis {} failed", master, e);
                    return false;
                } finally {
                    sending.unlock();
                }
            }

            void send(Runnable command) {
                sending.lock();
                try {
                    if (isSubscribed()) command.run();
                } catch (RuntimeException e) {
                    LOG.debug("Subscriber command to Redis {} failed", master, e);
                } finally {
                    sending.unlock();
                }
            }

            @Override
            public void onSSubscribe(String channel, int count) {
                liveness.heard();
                if (channel.equals(control)) {
                    if (confirmed) return; // a heartbeat's answer
                    confirmed = true;
                    if (!wanted.isEmpty()) {
                        List<String> here = new ArrayList<>();
                        List<String> elsewhere = new ArrayList<>();
                        for (String ch : wanted) (serves(master, ch) ? here : elsewhere).add(ch);
                        for (String ch : here) send(() -> ssubscribe(ch)); // one by one: an SSUBSCRIBE of channels in different slots is refused (CROSSSLOT)
                        if (!elsewhere.isEmpty()) moved(ShardSubscriber.this, elsewhere);
                        here.forEach(channels::notify);
                    }
                    return;
                }
                CompletableFuture<Void> confirmed = confirmations.get(channel);
                if (confirmed != null) confirmed.complete(null);
            }

            @Override
            public void onSUnsubscribe(String channel, int count) {
                liveness.heard();
                if (channel != null && wanted.contains(channel)) moved(ShardSubscriber.this, List.of(channel)); // its slot left this master
            }

            @Override
            public void onSMessage(String channel, String message) {
                liveness.heard();
                channels.notify(channel);
            }
        }
    }
}
