package io.github.dlock.redis;

import io.github.dlock.spi.WakeChannels;
import io.github.dlock.spi.WakeSignal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;

/**
 * Wakes waiters when a lock they wait for is released: release scripts PUBLISH on the lock's
 * channel, and this provider listens through one subscriber connection per server (started
 * on the first wait), subscribed to exactly the channels somebody waits on. Waiters still
 * retry on a timer, so a message lost to a reconnect only delays them.
 */
final class RedisSubscriptions implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisSubscriptions.class);

    private final List<NodeSubscriber> subscribers = new ArrayList<>();
    private final WakeChannels channels;
    private volatile boolean closed;

    RedisSubscriptions(List<RedisNode> nodes) {
        for (RedisNode node : nodes) subscribers.add(new NodeSubscriber(node));
        this.channels = new WakeChannels(c -> subscribers.forEach(s -> s.add(c)), c -> subscribers.forEach(s -> s.remove(c)));
    }

    /** Registers interest in {@code channel}; pair with {@link #unsubscribe}. */
    WakeSignal subscribe(String channel) {
        return channels.join(channel);
    }

    void unsubscribe(String channel) {
        channels.leave(channel);
    }

    private void released(String channel) {
        channels.notify(channel);
    }

    private void wakeEveryone() {
        channels.wakeEveryone();
    }

    @Override
    public void close() {
        closed = true;
        subscribers.forEach(NodeSubscriber::stop);
    }

    /** The subscriber connection to one server and the thread that reads it. */
    private final class NodeSubscriber {
        private final RedisNode node;
        private final String controlChannel = "dlock:__subscriber__:" + UUID.randomUUID();
        private final Set<String> wanted = ConcurrentHashMap.newKeySet();
        private volatile Handler handler;
        private Thread thread; // guarded by RedisSubscriptions.this

        NodeSubscriber(RedisNode node) {
            this.node = node;
        }

        void add(String channel) {
            wanted.add(channel);
            if (thread == null) {
                thread = new Thread(this::readLoop, "dlock-redis-subscriber-" + node.address());
                thread.setDaemon(true);
                thread.start();
            }
            Handler h = handler;
            if (h != null) h.send(() -> h.subscribe(channel));
        }

        void remove(String channel) {
            wanted.remove(channel);
            Handler h = handler;
            if (h != null) h.send(() -> h.unsubscribe(channel));
        }

        void stop() {
            Handler h = handler;
            if (h != null) h.send(h::unsubscribe);
            if (thread != null) thread.interrupt();
        }

        private void readLoop() {
            long backoffMs = 50;
            while (!closed) {
                try (Jedis connection = node.newConnection()) {
                    Handler h = new Handler();
                    handler = h;
                    connection.subscribe(h, controlChannel);
                    backoffMs = 50;
                } catch (RuntimeException e) {
                    if (closed) return;
                    LOG.debug("Subscriber connection to Redis {} failed; reconnecting", node.address(), e);
                } finally {
                    handler = null;
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
            synchronized void send(Runnable command) {
                try {
                    if (isSubscribed()) command.run();
                } catch (RuntimeException e) {
                    LOG.debug("Subscriber command to Redis {} failed", node.address(), e);
                }
            }

            @Override
            public void onSubscribe(String channel, int count) {
                if (channel.equals(controlChannel) && !wanted.isEmpty()) {
                    String[] all = wanted.toArray(new String[0]);
                    send(() -> subscribe(all));
                    wakeEveryone();
                }
            }

            @Override
            public void onMessage(String channel, String message) {
                released(channel);
            }
        }
    }
}
