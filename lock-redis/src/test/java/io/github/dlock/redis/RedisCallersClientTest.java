package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisProtocol;

/** A provider on the caller's own Jedis client: shared with the application, never closed by dlock. */
class RedisCallersClientTest {
    private static final URI SERVER = URI.create(RedisBackend.singleServerUrl());

    private static RedisClient client() {
        return RedisClient.create(SERVER.getHost(), SERVER.getPort());
    }

    @Test
    void locksThroughTheCallersClient_excludeUrlProviders_andCloseLeavesTheClientOpenWithNothingBorrowed() throws Exception {
        String name = "byo-" + UUID.randomUUID();
        try (RedisClient client = client(); LockProvider other = LockProvider.open(RedisBackend.single().providerUrl())) {
            RedisLockProvider provider = RedisLockProvider.builder().client(client).lease(Duration.ofSeconds(5)).prefix("dlocktest").build();
            LockHandle held = provider.lock(name).acquire(Duration.ofSeconds(5));
            assertTrue(other.lock(name).tryAcquire().isEmpty(), "a URL provider took a lock held through the caller's client");
            assertEquals(1, other.holders(name).size());
            // a waiter on the caller's client is woken by the other provider's release (subscriber on the client's pool)
            held.release();
            LockHandle byOther = other.lock(name).acquire(Duration.ofSeconds(5));
            CompletableFuture<LockHandle> waiting = provider.lock(name).acquireAsync(Duration.ofSeconds(30));
            byOther.release();
            waiting.get(30, TimeUnit.SECONDS).release();
            provider.close();
            assertEquals("PONG", client.ping(), "dlock closed the caller's client");
            assertEquals(0, client.getPool().getNumActive(), "dlock kept connections of the caller's pool after close()");
        }
    }

    @Test
    void aCallersPoolOfOneConnection_staysFreeForTheHolder_whileOthersWait() throws Exception {
        String name = "byo-pool1-" + UUID.randomUUID();
        GenericObjectPoolConfig<Connection> one = new GenericObjectPoolConfig<>();
        one.setMaxTotal(1);
        one.setMaxWait(Duration.ofSeconds(2));
        try (RedisClient client = RedisClient.builder().hostAndPort(new HostAndPort(SERVER.getHost(), SERVER.getPort())).poolConfig(one).build();
                RedisLockProvider provider = RedisLockProvider.builder().client(client).prefix("dlocktest").build()) {
            LockHandle held = provider.lock(name).acquire(Duration.ofSeconds(5));
            CompletableFuture<LockHandle> waiting = provider.lock(name).acquireAsync(Duration.ofSeconds(30));
            awaitSubscriber(SERVER.getPort(), name);
            // the waiter's retries borrow a connection for a moment; the subscriber must not keep one
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (client.getPool().getNumActive() > 0 && System.nanoTime() < end) Thread.sleep(1);
            assertEquals(0, client.getPool().getNumActive(), "a waiter keeps a connection of the caller's pool busy");
            held.release(); // needs the pool's only connection
            waiting.get(30, TimeUnit.SECONDS).release();
        }
    }

    @Test
    void closingTheProvider_whileItsServerIsStalled_endsTheSubscriberAndGivesEveryConnectionBack() throws Exception {
        String name = "byo-close-" + UUID.randomUUID();
        try (RedisServer server = RedisServer.start();
                RedisClient client = RedisClient.builder().hostAndPort(new HostAndPort("127.0.0.1", server.port()))
                        .clientConfig(DefaultJedisClientConfig.builder().socketTimeoutMillis(1000).build()).build()) {
            RedisLockProvider provider = RedisLockProvider.builder().client(client).prefix("dlocktest").build();
            LockHandle held = provider.lock(name).acquire(Duration.ofSeconds(5));
            CompletableFuture<LockHandle> waiting = provider.lock(name).acquireAsync(Duration.ofSeconds(30));
            awaitSubscriber(server.port(), name);
            server.pause();
            try {
                provider.close(); // the release of `held` times out on the stalled server; the subscriber must end all the same
                assertEquals(List.of(), subscriberThreads(server.port()), "a subscriber still runs after close() returned");
                assertEquals(0, client.getPool().getNumActive(), "a connection of the caller's pool is still borrowed after close()");
                assertThrows(java.util.concurrent.ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
                assertTrue(held.lost().toCompletableFuture().isDone(), "the handle whose release failed is not reported lost");
            } finally {
                server.resume();
            }
        }
    }

    private static List<Thread> subscriberThreads(int port) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("dlock-redis-subscriber-") && t.getName().endsWith(":" + port) && t.isAlive()).toList();
    }

    /** Waits until the lock's release channel has a subscriber (the waiter's provider listens). */
    private static void awaitSubscriber(int port, String name) throws InterruptedException {
        String channel = "dlocktest:{" + name + "}:released";
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try (redis.clients.jedis.Jedis j = new redis.clients.jedis.Jedis("127.0.0.1", port)) {
            while (j.pubsubNumSub(channel).getOrDefault(channel, 0L) == 0) {
                if (System.nanoTime() > end) throw new AssertionError("no subscriber on " + channel + " for a waiter");
                Thread.sleep(10);
            }
        }
    }


    @Test
    void redlockOnThreeCallersClients() throws Exception {
        List<RedisServer> servers = new ArrayList<>();
        List<RedisClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                servers.add(RedisServer.start());
                clients.add(RedisClient.create("127.0.0.1", servers.get(i).port()));
            }
            RedisLockProvider.Builder b = RedisLockProvider.builder();
            clients.forEach(b::client);
            String name = "byo-redlock";
            try (RedisLockProvider provider = b.build();
                    LockProvider viaUrl = LockProvider.open(RedisBackend.on(servers, "prefix=dlock").providerUrl())) {
                try (LockHandle h = provider.lock(name).acquire(Duration.ofSeconds(5))) {
                    assertTrue(viaUrl.lock(name).tryAcquire().isEmpty());
                    assertEquals(1, viaUrl.holders(name).size());
                }
            }
            for (RedisClient c : clients) assertEquals("PONG", c.ping());
        } finally {
            clients.forEach(RedisClient::close);
            servers.forEach(RedisServer::stop);
        }
    }

    @Test
    void bothProtocols_resp2AndResp3_holdExcludeAndWake() throws Exception {
        for (RedisProtocol protocol : RedisProtocol.values()) {
            String name = "byo-" + protocol + "-" + UUID.randomUUID();
            try (RedisClient client = RedisClient.builder().hostAndPort(new HostAndPort(SERVER.getHost(), SERVER.getPort()))
                    .clientConfig(DefaultJedisClientConfig.builder().protocol(protocol).build()).build();
                    RedisLockProvider provider = RedisLockProvider.builder().client(client).prefix("dlocktest").build();
                    LockProvider other = LockProvider.open(RedisBackend.single().providerUrl())) {
                LockHandle held = other.lock(name).acquire(Duration.ofSeconds(5));
                CompletableFuture<LockHandle> waiting = provider.lock(name).acquireAsync(Duration.ofSeconds(30));
                held.release();
                LockHandle mine = waiting.get(30, TimeUnit.SECONDS);
                assertTrue(mine.fencingToken() > held.fencingToken(), protocol + ": fencing token did not rise");
                assertEquals(1, provider.holders(name).size(), protocol + ": holders");
                assertTrue(mine.remainingLease().orElseThrow().compareTo(Duration.ZERO) > 0, protocol + ": remaining lease");
                mine.release();
                assertEquals(List.of(), provider.holders(name), protocol + ": holders after release");
            }
        }
    }

    @Test
    void misuse_failsClearly() {
        try (RedisClient client = client()) {
            assertThrows(NullPointerException.class, () -> RedisLockProvider.builder().client(null));
            IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> RedisLockProvider.builder().client(client).client(client));
            assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
            IllegalStateException mixed = assertThrows(IllegalStateException.class,
                    () -> RedisLockProvider.builder().client(client).server("127.0.0.1", 6379).build());
            assertTrue(mixed.getMessage().contains("client"), mixed.getMessage());
            assertThrows(IllegalStateException.class, () -> RedisLockProvider.builder().client(client).credentials(null, "x").build());
            assertThrows(IllegalStateException.class, () -> RedisLockProvider.builder().client(client).poolSize(4).build());
            assertThrows(IllegalStateException.class, () -> RedisLockProvider.builder().build());
        }
        try (RedisClient nowhere = RedisClient.create("127.0.0.1", 1)) {
            io.github.dlock.LockBackendException e = assertThrows(io.github.dlock.LockBackendException.class,
                    () -> RedisLockProvider.builder().client(nowhere).build());
            assertTrue(e.getMessage().contains("cannot connect"), e.getMessage());
        }
    }
}
