package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * A healthy but idle subscriber connection is kept, whatever the call timeout: the heartbeat
 * gives a connection up only when a ping it sent went unanswered for the timeout. With the
 * earlier rule (nothing heard for one heartbeat interval plus the timeout), a timeout under
 * about a second made idle subscribers reconnect every two seconds, since a ping could go out
 * only at the tick before. Counted by the server ({@code CLIENT LIST}: the age of the
 * pub/sub connection), not timed.
 */
class RedisSubscriberIdleTest {
    private RedisServer server;

    @BeforeEach
    void start() throws Exception {
        server = RedisServer.start();
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    @Test
    void anIdleSubscriber_withAShortTimeout_keepsItsConnection() throws Exception {
        try (LockProvider locks = LockProvider.open("redis://" + server.address() + "?timeout=200ms&lease=30s")) {
            LockHandle held = locks.lock("idle").acquire();
            CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(() -> {
                try {
                    return locks.lock("idle").tryAcquire(Duration.ofSeconds(20)).map(h -> {
                        h.release();
                        return true;
                    }).orElse(false);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            });
            Thread.sleep(6_000); // six heartbeats with the lock held and no message on the channel
            long age = subscriberAgeSeconds();
            held.release();
            assertTrue(waiter.get(10, TimeUnit.SECONDS), "the waiter did not get the released lock");
            assertTrue(age >= 4, "the idle subscriber connection was replaced: it was " + age + " s old after 6 s of waiting");
        }
    }

    /** The age of the oldest pub/sub connection on the server, from CLIENT LIST. */
    private long subscriberAgeSeconds() {
        long age = -1;
        try (Jedis j = server.client()) {
            for (String line : j.clientList().split("\n")) {
                if (!line.contains(" sub=0 ") && (line.contains("cmd=subscribe") || line.contains("cmd=ping") || line.contains("flags=P"))) {
                    age = Math.max(age, Long.parseLong(line.replaceAll(".* age=(\\d+) .*", "$1").trim()));
                }
            }
        }
        assertTrue(age >= 0, "no pub/sub connection on the server");
        return age;
    }
}
