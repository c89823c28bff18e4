package io.github.dlock.redis;

import static io.github.dlock.redis.Issue14SecondReviewProbesTest.awaitNumsub;
import static io.github.dlock.redis.Issue14SecondReviewProbesTest.awaitShardSubscriberOn;
import static io.github.dlock.redis.Issue14SecondReviewProbesTest.describe;
import static io.github.dlock.redis.Issue14SecondReviewProbesTest.mutexChannel;
import static io.github.dlock.redis.Issue14SecondReviewProbesTest.slotOf;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.RetryStrategy;
import io.github.dlock.redis.Issue14SecondReviewProbesTest.Runner;
import io.github.dlock.testkit.RedisTopologies;
import io.github.dlock.testkit.RedisTopologies.Cluster;
import io.github.dlock.testkit.RedisTopologies.RedisProcess;
import io.github.dlock.testkit.RedisTopologies.SentinelSet;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Wake-ups after a failover away from a stalled master (SIGSTOP: connections stay open,
 * nothing is answered). The subscriber connection of a waiting provider blocks in a read on
 * the stalled server; without a heartbeat it never notices the failover, and a release on the
 * new master reaches its waiters only through their retry timer (here 60 s, so that only the
 * wake-up path can grant in time). Real processes on free ports, stopped by PID.
 */
class RedisSubscriberHeartbeatTest {
    /** A waiter must be granted this soon after the release (heartbeat 1 s + call timeout 2 s + reconnect). */
    private static final long WAKE_WITHIN_MS = 10_000;

    @Test
    @Timeout(180)
    void sentinel_failoverFromAStalledMaster_waitersAreWokenByTheReleaseOnTheNewMaster() throws Exception {
        SentinelSet set = RedisTopologies.startSentinelSet();
        RedisProcess old = set.master();
        String[] sentinels = set.sentinels().stream().map(RedisProcess::address).toArray(String[]::new);
        try (LockProvider holder = sentinelProvider(sentinels, "hb-s");
                LockProvider waiting = sentinelProvider(sentinels, "hb-s")) {
            LockHandle held = holder.lock("m").tryAcquire().orElseThrow();
            try (redis.clients.jedis.Jedis j = new redis.clients.jedis.Jedis("127.0.0.1", old.port())) {
                // a later write confirmed by the replica: it has the holder's key too (replication is in
                // order), so the failover keeps the lock held (replicas=0 may lose it: the documented window)
                j.set("hb-s:sync", "1");
                assertTrue(j.waitReplicas(1, 5_000) >= 1, "the replica did not confirm");
            }
            Runner waiter = new Runner("hb-s-waiter", () -> waiting.lock("m").tryAcquire(Duration.ofSeconds(120)));
            awaitNumsub(old, mutexChannel("hb-s", "m"), 1, 10);
            old.pause();
            try {
                RedisProcess now = awaitSentinelsName(set, old, 60);
                awaitServing(holder, "hb-s-probe", 60); // the holder's connections reach the new master
                assertTrue(!waiter.isDone(), "the waiter ended before the release: " + describe(waiter.outcome));
                long released = System.nanoTime();
                held.release();
                assertGrantedWithin(waiter, released, "Sentinel, new master " + now.address());
            } finally {
                old.resume();
            }
        } finally {
            set.sentinels().forEach(RedisProcess::kill);
            set.servers().forEach(RedisProcess::kill);
        }
    }

    @Test
    @Timeout(180)
    void cluster_failoverFromAStalledMaster_waitersAreWokenByTheReleaseOnTheNewMaster() throws Exception {
        Cluster cluster = RedisTopologies.startCluster();
        try {
            String prefix = "hb-c";
            int slot = slotOf(prefix, "m");
            RedisProcess old = cluster.masterOf(slot);
            RedisProcess replica = cluster.replicaOf(old);
            String[] nodes = cluster.nodes().stream().map(RedisProcess::address).toArray(String[]::new);
            try (LockProvider holder = clusterProvider(nodes, prefix);
                    LockProvider waiting = clusterProvider(nodes, prefix)) {
                LockHandle held = holder.lock("m").tryAcquire().orElseThrow();
                try (redis.clients.jedis.Jedis j = new redis.clients.jedis.Jedis("127.0.0.1", old.port())) {
                    // a later write of the same slot, confirmed by the replica: it has the holder's key too
                    // (replication is in order), so the failover below keeps the lock held
                    j.set(prefix + ":{m}:sync", "1");
                    assertTrue(j.waitReplicas(1, 5_000) >= 1, "the replica did not confirm");
                }
                Runner waiter = new Runner("hb-c-waiter", () -> waiting.lock("m").tryAcquire(Duration.ofSeconds(120)));
                assertTrue(awaitShardSubscriberOn(old, mutexChannel(prefix, "m"), 10), "the waiter never subscribed");
                old.pause();
                try {
                    awaitRole(replica, "master", 60); // the cluster promotes the replica (node timeout 2 s)
                    awaitServing(holder, sameSlotName(prefix, "m", slot), 60);
                    assertTrue(!waiter.isDone(), "the waiter ended before the release: " + describe(waiter.outcome) + "; the holder's key on the new master: "
                            + replica.cli("EXISTS", prefix + ":{m}").trim() + ", holder lost: " + held.lost().toCompletableFuture().isDone());
                    long released = System.nanoTime();
                    held.release();
                    assertGrantedWithin(waiter, released, "Cluster, new master " + replica.address());
                } finally {
                    old.resume();
                }
            }
        } finally {
            cluster.nodes().forEach(RedisProcess::kill);
        }
    }

    private static LockProvider sentinelProvider(String[] sentinels, String prefix) {
        return RedisLockProvider.builder().sentinels(sentinels).masterName(SentinelSet.MASTER_NAME).prefix(prefix)
                .lease(Duration.ofSeconds(60)).retryStrategy(RetryStrategy.fixed(Duration.ofSeconds(60))).build();
    }

    private static LockProvider clusterProvider(String[] nodes, String prefix) {
        return RedisLockProvider.builder().clusterNodes(nodes).prefix(prefix)
                .lease(Duration.ofSeconds(60)).retryStrategy(RetryStrategy.fixed(Duration.ofSeconds(60))).build();
    }

    private static void assertGrantedWithin(Runner waiter, long released, String where) throws InterruptedException {
        boolean done = waiter.await(WAKE_WITHIN_MS + 5_000);
        long tookMs = TimeUnit.NANOSECONDS.toMillis((done ? waiter.endedAt : System.nanoTime()) - released);
        String report = where + ": the waiter " + (done ? "ended with " + describe(waiter.outcome) : "was still waiting") + " " + tookMs
                + " ms after the release (retry timer 60 s)";
        System.out.println("heartbeat: " + report);
        assertTrue(done && tookMs <= WAKE_WITHIN_MS, report);
        Optional<?> granted = assertInstanceOf(Optional.class, waiter.outcome, report);
        assertTrue(granted.isPresent(), report);
        ((LockHandle) granted.get()).release();
    }

    /** Waits until every sentinel names a master other than {@code old} (asking only the sentinels: {@code old} is paused). */
    private static RedisProcess awaitSentinelsName(SentinelSet set, RedisProcess old, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            boolean moved = true;
            for (RedisProcess s : set.sentinels()) {
                String[] reply = s.cli("SENTINEL", "get-master-addr-by-name", SentinelSet.MASTER_NAME).trim().split("\\s+");
                moved &= reply.length == 2 && Integer.parseInt(reply[1]) != old.port();
            }
            if (moved) {
                RedisProcess now = set.servers().stream().filter(p -> p != old).findFirst().orElseThrow();
                awaitRole(now, "master", seconds);
                return now;
            }
            Thread.sleep(100);
        }
        fail("the sentinels did not fail over from " + old.address() + " within " + seconds + " s");
        return null;
    }

    private static void awaitRole(RedisProcess server, String role, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!server.cli("ROLE").startsWith(role)) {
            if (System.nanoTime() > deadline) fail(server.address() + " did not become " + role + " within " + seconds + " s");
            Thread.sleep(100);
        }
    }

    /** Waits until {@code provider} can take and give back the free lock {@code name} (its connections follow the failover). */
    private static void awaitServing(LockProvider provider, String name, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                Optional<LockHandle> h = provider.lock(name).tryAcquire();
                if (h.isPresent()) {
                    h.get().release();
                    return;
                }
            } catch (RuntimeException e) {
                last = e;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the provider did not reach the new master within " + seconds + " s", last);
    }

    /** Another lock name whose keys are in {@code slot} (so on the same master as {@code name}'s). */
    private static String sameSlotName(String prefix, String name, int slot) {
        for (int i = 0; ; i++) {
            String candidate = name + "-probe-" + i;
            if (slotOf(prefix, candidate) == slot) return candidate;
        }
    }
}
