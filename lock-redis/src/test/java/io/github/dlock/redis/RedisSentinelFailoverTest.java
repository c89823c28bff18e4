package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.testkit.RedisTopologies;
import io.github.dlock.testkit.RedisTopologies.RedisProcess;
import io.github.dlock.testkit.RedisTopologies.SentinelSet;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Failovers of a Sentinel set of the test's own (1 master, 1 replica, 3 sentinels), with locks
 * held and waiters waiting: with {@code replicas=1} nothing held is lost and waiters go on
 * on the new master; without, every handle whose key the new master lacks completes
 * {@code lost()}.
 */
class RedisSentinelFailoverTest {

    @Test
    void withReplicas_heldLocksSurviveAFailoverAndAKilledMaster_andWaitersGoOnOnTheNewMaster() throws Exception {
        SentinelSet set = RedisTopologies.startSentinelSet();
        // the lease outlasts a failover after kill -9 (1 s to notice, about 1 s to promote) and the
        // restart of the killed server as the new replica (renewals need its confirmation)
        String url = set.url("lease=30s&prefix=sf&replicas=1&replicaTimeout=1s");
        try (LockProvider a = LockProvider.open(url); LockProvider b = LockProvider.open(url.replace("prefix=sf", "prefix=sf&retry=fixed:1m"))) {
            LockHandle mutex = a.lock("m").tryAcquire().orElseThrow();
            LockHandle read = a.readWriteLock("cache").readLock().tryAcquire().orElseThrow();
            DistributedSemaphore sem = a.semaphore("s", 1);
            LockHandle permit = sem.tryAcquire().orElseThrow();
            CompletableFuture<Optional<LockHandle>> waiter = CompletableFuture.supplyAsync(() -> {
                try {
                    return b.lock("m").tryAcquire(Duration.ofSeconds(60));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, runnable -> new Thread(runnable, "waiter").start());

            RedisProcess first = set.master();
            RedisProcess second = set.failover(); // SENTINEL FAILOVER: the old master becomes a replica
            assertTrue(second != first);
            extendAll(mutex, read, permit); // a renewal on the new master, confirmed by its replica
            RedisProcess killed = set.master();
            set.replica(); // the old master follows the new one
            killed.kill(); // kill -9
            RedisProcess third = set.awaitNewMaster(killed, 30);
            killed.restart(); // comes back empty; the sentinels make it a replica of the new master
            set.awaitReplicaInSync(third);
            extendAll(mutex, read, permit); // renewals need the replica's confirmation (replicas=1)
            for (LockHandle h : List.of(mutex, read, permit)) assertFalse(h.isLost(), h + " was lost in a failover with replicas=1");
            assertEquals(1, b.holders("m").size(), "the new master " + third.address() + " knows the holder");
            assertFalse(waiter.isDone(), () -> "the waiter must not get a held lock, nor fail: " + outcome(waiter));
            assertTrue(b.semaphore("s", 1).tryAcquire().isEmpty(), "the permit is still taken on the new master");

            mutex.release();
            LockHandle taken = waiter.get(10, TimeUnit.SECONDS).orElseThrow(); // woken by the release on the new master (its retry is 1 min)
            assertNotNull(taken);
            assertTrue(taken.fencingToken() > mutex.fencingToken(), "fencing tokens rise across two failovers: " + mutex.fencingToken() + " then " + taken.fencingToken());
            taken.release();
            read.release();
            permit.release();
        } finally {
            set.sentinels().forEach(RedisProcess::kill);
            set.servers().forEach(RedisProcess::kill);
        }
    }

    private static String outcome(CompletableFuture<?> f) {
        try {
            return String.valueOf(f.getNow(null));
        } catch (RuntimeException e) {
            return e.toString();
        }
    }

    /** Extends each handle, which goes through the provider's renewal batch (WAITs for the replica). */
    private static void extendAll(LockHandle... handles) {
        for (LockHandle h : handles) h.extend(Duration.ofSeconds(30));
    }

    @Test
    void withoutReplicas_everyHandleWhoseKeyTheNewMasterLacks_completesLost() throws Exception {
        SentinelSet set = RedisTopologies.startSentinelSet();
        String url = set.url("lease=20s&prefix=sf0"); // outlasts the failover after kill -9
        try (LockProvider a = LockProvider.open(url); LockProvider b = LockProvider.open(url)) {
            LockHandle gone = a.lock("gone").tryAcquire().orElseThrow();
            LockHandle kept = a.lock("kept").tryAcquire().orElseThrow();
            LockHandle gonePermit = a.semaphore("gone-sem", 1).tryAcquire().orElseThrow();
            RedisProcess master = set.master();
            RedisProcess replica = set.replica();
            awaitReplicated(replica, "sf0:{kept}");
            awaitReplicated(replica, "sf0:{gone}");
            // writes the failover loses: the replica never got these keys
            assertEquals("OK", replica.cli("CONFIG", "SET", "replica-read-only", "no").trim());
            assertEquals("2", replica.cli("DEL", "sf0:{gone}", "sf0:{gone-sem}:sem").trim());
            master.kill();
            set.awaitNewMaster(master, 30);

            gone.lost().toCompletableFuture().get(30, TimeUnit.SECONDS); // the first renewal on the new master finds the key gone
            gonePermit.lost().toCompletableFuture().get(30, TimeUnit.SECONDS);
            kept.extend(Duration.ofSeconds(20)); // its key is there: renewed on the new master
            assertFalse(kept.isLost(), "a lock whose key the new master has must not be lost");
            assertTrue(b.lock("gone").tryAcquire().isPresent(), "the lost lock is free on the new master");
            assertTrue(b.lock("kept").tryAcquire().isEmpty(), "the kept lock is still held");
        } finally {
            set.sentinels().forEach(RedisProcess::kill);
            set.servers().forEach(RedisProcess::kill);
        }
    }

    private static void awaitReplicated(RedisProcess replica, String key) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (replica.cli("EXISTS", key).trim().equals("1")) return;
            Thread.sleep(50);
        }
        throw new AssertionError(key + " never reached the replica");
    }
}
