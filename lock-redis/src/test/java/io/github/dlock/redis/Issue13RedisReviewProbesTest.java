package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockHandle;
import io.github.dlock.LockListener;
import io.github.dlock.LockProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;

/**
 * Adversarial review probes (issue 13 review, round b): listeners vs. lease renewal, the
 * caller's-client builder, availablePermits. Shared Redis on 127.0.0.1:6379, unique prefixes.
 */
class Issue13RedisReviewProbesTest {
    private static final String HOST = "127.0.0.1";
    private static final int PORT = 6379;

    private static String prefix() {
        return "rv13b-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * FINDING / CONTRACT QUESTION: a LockListener whose renewalRound blocks (a metrics registry
     * that stalls, a synchronous log appender) stalls the renewal thread itself: no lease of
     * the provider is renewed any more, and every lock it holds is lost one lease later. The
     * Javadoc asks listeners to be quick and non-blocking, but the brief's rule is that a
     * listener that blocks must not stall renewal (lost() callbacks already run on threads of
     * their own for exactly this reason).
     */
    @Test
    void aListenerBlockingInRenewalRound_doesNotStallRenewal() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (LockProvider locks = LockProvider.open("redis://" + HOST + ":" + PORT + "?prefix=" + prefix() + "&lease=1s")) {
            LockListener.Registration r = locks.listen(new LockListener() {
                @Override
                public void renewalRound(String backend, int n, int roundTrips, int failures) {
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            LockHandle h = locks.lock("renewed").acquire(Duration.ofSeconds(5));
            try {
                Thread.sleep(3000); // three leases
                assertFalse(h.isLost(), "a listener blocking in renewalRound stalled renewal: the lock was lost ("
                        + h.lost().toCompletableFuture().isDone() + ")");
            } finally {
                release.countDown();
                r.close();
                h.release();
            }
        }
    }

    /**
     * CONTRACT QUESTION (validation): build() refuses the same server given twice, and the same
     * client object twice, but takes three different clients of ONE server as a Redlock set
     * (it even learns each client's address at build time). Expected: refused like duplicate
     * servers, or at least working locks; the probe reports what happens.
     */
    @Test
    void threeClientsOfOneServer_areRefusedLikeADuplicateServer() throws Exception {
        List<RedisClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) clients.add(RedisClient.create(HOST, PORT));
            RedisLockProvider.Builder b = RedisLockProvider.builder().prefix(prefix());
            clients.forEach(b::client);
            RedisLockProvider provider;
            try {
                provider = b.build();
            } catch (IllegalArgumentException | IllegalStateException refused) {
                return; // refused clearly: fine
            }
            String outcome;
            try (provider) {
                Optional<LockHandle> h = provider.lock("dup").tryAcquire(Duration.ofSeconds(2));
                outcome = h.isPresent() ? "acquired, holders " + provider.holders("dup").size() : "never acquired a free lock";
                h.ifPresent(LockHandle::release);
            } catch (RuntimeException e) {
                outcome = "threw " + e;
            }
            throw new AssertionError("three clients of one server were accepted as a 3-server Redlock set (" + outcome
                    + "); the same server twice through server() is refused");
        } finally {
            clients.forEach(RedisClient::close);
        }
    }

    /** Holds (or not): availablePermits counts permits of every holder, and frees a permit whose key is gone. */
    @Test
    void availablePermits_tracksHoldersAcrossProviders_andAPermitTakenAwayOnTheServer() throws Exception {
        String prefix = prefix();
        String url = "redis://" + HOST + ":" + PORT + "?prefix=" + prefix + "&lease=5s";
        try (LockProvider a = LockProvider.open(url); LockProvider b = LockProvider.open(url); Jedis direct = new Jedis(HOST, PORT)) {
            DistributedSemaphore sa = a.semaphore("pool", 4);
            DistributedSemaphore sb = b.semaphore("pool", 4);
            LockHandle one = sa.acquire(Duration.ofSeconds(5));
            LockHandle two = sa.acquire(Duration.ofSeconds(5));
            LockHandle three = sb.acquire(Duration.ofSeconds(5));
            assertEquals(1, sa.availablePermits());
            assertEquals(1, sb.availablePermits());
            try (LockHandle rw = a.readWriteLock("pool").readLock().acquire(Duration.ofSeconds(5))) {
                assertEquals(1, sa.availablePermits(), "a read lock of the same name counted as a permit");
            }
            // the semaphore's key taken away on the server: nobody holds a permit any more
            for (String k : direct.keys(prefix + ":*")) {
                if (k.contains("sem") && direct.type(k).equals("zset")) direct.del(k);
            }
            assertEquals(4, sa.availablePermits());
            one.release();
            two.release();
            three.release();
            assertEquals(4, sb.availablePermits());
            assertTrue(sb.permits() == 4);
        }
    }
}
