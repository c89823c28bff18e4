package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.testkit.RedisTopologies;
import io.github.dlock.testkit.RedisTopologies.Cluster;
import io.github.dlock.testkit.RedisTopologies.RedisProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.util.JedisClusterCRC16;

/** Adversarial probes of the Sentinel/Cluster change (issue 14 review): URL parsing, no servers. */
class Issue14ReviewProbesTest {

    static int slotOf(String prefix, String name) {
        String tag = name.startsWith("}") || name.startsWith("=") ? "=" + name : name;
        return JedisClusterCRC16.getSlot(prefix + ":{" + tag + "}");
    }

    static Set<String> dlockThreads() {
        Set<String> names = new java.util.TreeSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && (t.getName().startsWith("dlock") || t.getName().toLowerCase().contains("sentinel")
                    || t.getName().toLowerCase().contains("commons-pool"))) names.add(t.getName());
        }
        return names;
    }

    static void assertNoThreadsLeft(Set<String> before) throws InterruptedException {
        Set<String> now = null;
        for (int i = 0; i < 60; i++) {
            now = dlockThreads();
            now.removeAll(before);
            if (now.isEmpty()) return;
            Thread.sleep(100);
        }
        fail("threads left behind: " + now);
    }

    private static IllegalArgumentException bad(String url) {
        return assertThrows(IllegalArgumentException.class, () -> LockProvider.open(url).close(), url);
    }

    @Test
    void malformedUrls_failWithIaeNamingTheProblem_neverEchoingThePassword() {
        String[][] cases = {
            {"redis-sentinel://u:s3cretPw@127.0.0.1:1,127.0.0.1:2", "#"},
            {"redis-sentinel://u:s3cretPw@127.0.0.1:1#", "#"},
            {"redis-cluster://u:s3cretPw@127.0.0.1:1/3", "database"},
            {"redis-cluster://u:s3cretPw@127.0.0.1:1,,127.0.0.1:2", "host"},
            {"redis-cluster://u:s3cretPw@127.0.0.1:0", "port"},
            {"redis-cluster://u:s3cretPw@127.0.0.1:99999", "port"},
            {"redis-cluster://u:s3cretPw@127.0.0.1:x", "port"},
            {"redis-cluster://u:s3cretPw@127.0.0.1:1,127.0.0.1:1", "twice"},
            {"redis-sentinel://u:s3cretPw@127.0.0.1:1,127.0.0.1:1#m", "twice"},
            {"redis://u:s3cretPw@127.0.0.1:1#m", "#"},
            {"redis-cluster://u:s3cretPw@127.0.0.1:1#m", "#"},
            {"redis-cluster://u:s3cretPw@127.0.0.1:1/abc", "database"},
            {"redis-sentinel://u:s3cretPw@[::1#m", ""},
            {"redis-cluster://u:s3cretPw@127.0.0.1:1?lease=-5s", "lease"},
            {"redis-cluster://u:s3cretPw@127.0.0.1:1?timeout=999999d", "timeout"},
            {"redis-sentinel://u:s3cretPw@127.0.0.1:1?replicas=-1#m", "replicas"},
        };
        List<String> problems = new ArrayList<>();
        for (String[] c : cases) {
            try {
                LockProvider.open(c[0]).close();
                problems.add(c[0] + " -> opened");
            } catch (IllegalArgumentException e) {
                String m = String.valueOf(e.getMessage());
                for (Throwable t = e; t != null; t = t.getCause()) {
                    if (String.valueOf(t.getMessage()).contains("s3cretPw")) problems.add(c[0] + " -> echoes the password: " + t.getMessage());
                }
                if (!m.toLowerCase().contains(c[1].toLowerCase())) problems.add(c[0] + " -> does not name '" + c[1] + "': " + m);
            } catch (RuntimeException e) {
                problems.add(c[0] + " -> " + e);
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    /** The query after the fragment is silently swallowed into the master name. */
    @Test
    void sentinelUrl_optionsAfterTheFragment_areNotSilentlyPartOfTheMasterName() {
        IllegalArgumentException e = bad("redis-sentinel://127.0.0.1:1#mymaster?lease=1s");
        assertFalse(e.getMessage() == null, "message");
    }

    @Test
    void buildWithAllSeedsDown_clearError_noThreadLeak() throws Exception {
        Set<String> before = dlockThreads();
        RuntimeException c = assertThrows(RuntimeException.class,
                () -> LockProvider.open("redis-cluster://127.0.0.1:1,127.0.0.1:2?timeout=300ms").close());
        assertTrue(c.getMessage().contains("127.0.0.1:1"), c.getMessage());
        RuntimeException s = assertThrows(RuntimeException.class,
                () -> LockProvider.open("redis-sentinel://127.0.0.1:1,127.0.0.1:2?timeout=300ms#mymaster").close());
        assertTrue(s.getMessage().contains("mymaster"), s.getMessage());
        assertNoThreadsLeft(before);
    }
}

/** Probes on a cluster of the class's own; none of them disturbs the topology for long. */
class Issue14ClusterProbesTest {
    static final Cluster CLUSTER = start();

    static Cluster start() {
        try {
            return RedisTopologies.startCluster();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @AfterAll
    static void stop() {
        CLUSTER.nodes().forEach(RedisProcess::kill);
    }

    /** Names of locks in distinct slots served by one master. */
    static List<String> namesOnOneMaster(String prefix, int count) {
        RedisProcess m = CLUSTER.masterOf(Issue14ReviewProbesTest.slotOf(prefix, "n0"));
        List<String> names = new ArrayList<>();
        java.util.Set<Integer> slots = new java.util.HashSet<>();
        for (int i = 0; names.size() < count; i++) {
            String n = "n" + i;
            int slot = Issue14ReviewProbesTest.slotOf(prefix, n);
            if (slots.add(slot) && CLUSTER.masterOf(slot) == m) names.add(n);
        }
        return names;
    }

    /**
     * Several waiters on locks in different slots of one master; the subscriber connection is
     * dropped (CLIENT KILL TYPE pubsub), so it resubscribes all wanted channels in one
     * SSUBSCRIBE, which Redis refuses with CROSSSLOT. Releases must still wake waiters promptly.
     */
    @Test
    void waitersOnOneMaster_afterSubscriberReconnect_areWokenByReleasesPromptly() throws Exception {
        String prefix = "wake";
        List<String> names = namesOnOneMaster(prefix, 3);
        RedisProcess master = CLUSTER.masterOf(Issue14ReviewProbesTest.slotOf(prefix, names.get(0)));
        String url = CLUSTER.url("lease=60s&prefix=" + prefix);
        try (LockProvider a = LockProvider.open(url); LockProvider b = LockProvider.open(url + "&retry=fixed:1m")) {
            List<LockHandle> held = new ArrayList<>();
            for (String n : names) held.add(a.lock(n).tryAcquire().orElseThrow());
            List<CompletableFuture<Long>> waiters = new ArrayList<>();
            List<AtomicLong> releasedAt = new ArrayList<>();
            for (String n : names) {
                AtomicLong rel = new AtomicLong();
                releasedAt.add(rel);
                waiters.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        Optional<LockHandle> h = b.lock(n).tryAcquire(Duration.ofSeconds(40));
                        long got = System.nanoTime();
                        h.orElseThrow().release();
                        return TimeUnit.NANOSECONDS.toMillis(got - rel.get());
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }, r -> new Thread(r, "waiter-" + n).start())); // a thread each: the common pool may have one worker
            }
            for (String n : names) CLUSTER.awaitShardSubscriber(new RedisKeys(prefix, n, "", true).channel(), 10);
            master.cli("CLIENT", "KILL", "TYPE", "pubsub");
            // the subscriber reconnects and subscribes every channel again (it failed to, with one CROSSSLOT SSUBSCRIBE)
            for (String n : names) CLUSTER.awaitShardSubscriber(new RedisKeys(prefix, n, "", true).channel(), 10);
            List<Long> latencies = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                releasedAt.get(i).set(System.nanoTime());
                held.get(i).release();
                latencies.add(waiters.get(i).get(30, TimeUnit.SECONDS));
            }
            for (long l : latencies) assertTrue(l < 700, "waiters woken after release took " + latencies + " ms (retry is 1m)");
        }
    }

    @Test
    void oddNames_onCluster_allKindsWork_andExclude() throws Exception {
        String url = CLUSTER.url("lease=20s&prefix=odd");
        String huge = "h".repeat(1000) + "{x}";
        List<String> names = List.of("}", "=", "==", "}}", "{", "{}", "{}x", "a{b}c", "=}", "}{=}", "ключ🔒{}", "{=}", huge, "\u00e9}{");
        List<String> problems = new ArrayList<>();
        try (LockProvider a = LockProvider.open(url); LockProvider b = LockProvider.open(url)) {
            for (String n : names) {
                try {
                    LockHandle m = a.lock(n).tryAcquire().orElseThrow();
                    if (b.lock(n).tryAcquire().isPresent()) problems.add(n + ": mutex granted twice");
                    if (a.holders(n).size() != 1) problems.add(n + ": holders " + a.holders(n));
                    LockHandle r = a.readWriteLock(n).readLock().tryAcquire().orElseThrow();
                    LockHandle r2 = b.readWriteLock(n).readLock().tryAcquire().orElseThrow();
                    if (b.readWriteLock(n).writeLock().tryAcquire(Duration.ofMillis(50)).isPresent()) problems.add(n + ": writer with readers");
                    LockHandle s = a.semaphore(n, 1).tryAcquire().orElseThrow();
                    if (b.semaphore(n, 1).tryAcquire().isPresent()) problems.add(n + ": two permits of 1");
                    if (a.holders(n).size() != 4) problems.add(n + ": holders " + a.holders(n));
                    m.release();
                    r.release();
                    r2.release();
                    s.release();
                    if (!a.holders(n).isEmpty()) problems.add(n + ": holders after release " + a.holders(n));
                } catch (RuntimeException e) {
                    problems.add(n + ": " + e);
                }
            }
            // distinct names must not share a lock
            for (String n : names) {
                for (String o : names) {
                    if (n.equals(o)) continue;
                    try (LockHandle h = a.lock(n).tryAcquire().orElseThrow()) {
                        if (b.lock(o).tryAcquire().map(x -> {
                            x.release();
                            return false;
                        }).orElse(true)) problems.add("'" + n + "' and '" + o + "' share a lock");
                    }
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void closeWhileOthersWait_wakesThem_andLeavesNoThreads() throws Exception {
        Set<String> before = Issue14ReviewProbesTest.dlockThreads();
        String url = CLUSTER.url("lease=30s&prefix=closing");
        LockProvider a = LockProvider.open(url);
        LockProvider b = LockProvider.open(url + "&retry=fixed:1m");
        List<String> names = List.of("c1", "c2", "c3", "c4", "c5", "c6");
        List<LockHandle> held = new ArrayList<>();
        for (String n : names) held.add(a.lock(n).tryAcquire().orElseThrow());
        List<CompletableFuture<Object>> waiters = new ArrayList<>();
        for (String n : names) {
            waiters.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return b.lock(n).tryAcquire(Duration.ofSeconds(60));
                } catch (Throwable e) {
                    return e;
                }
            }, r -> new Thread(r, "waiter-" + n).start()));
        }
        for (String n : names) CLUSTER.awaitShardSubscriber(new RedisKeys("closing", n, "", true).channel(), 10);
        long t0 = System.nanoTime();
        b.close();
        for (CompletableFuture<Object> w : waiters) {
            Object r = w.get(10, TimeUnit.SECONDS);
            assertFalse(r instanceof Optional<?> o && o.isPresent(), "a waiter acquired after close: " + r);
        }
        long closeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        held.forEach(LockHandle::release);
        a.close();
        assertTrue(closeMs < 3000, "close + waiters ending took " + closeMs + " ms");
        Issue14ReviewProbesTest.assertNoThreadsLeft(before);
    }
}
