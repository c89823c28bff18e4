package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.testkit.FaultProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Review probes for commits 5dd3fba and 4f7b415 (Redlock: calls wait for servers in step,
 * stragglers capped at the pool size, releases/give-backs of a server "not keeping up" queued
 * on an unbounded per-server backlog executor, residue-class fencing tokens for shared holds).
 *
 * <p>p7 failed again after those fixes (4 of 4 runs on e1a8524, see its comment) and passes since attempts stop waiting
 * for a stalled server (Quorum.waitedUntil). All others pass since the fixes (releases only to servers that may hold the lock, queued calls not counted
 * toward refusing a server, a capped backlog, give-backs in the background, attempts short of a majority only
 * because of busy servers retried shortly instead of failing). Status on 4f7b415 (production code identical
 * at b960433), each run 2-4 times, same outcome every run; seen again before the fixes on e88a799 (8 of 13 failed):
 * <ul>
 * <li>FAIL p1: a healthy server ~80 ms away is refused every acquire ("not keeping up") for more
 *     than 20 s after a 2 s load: its late count holds thousands of queued releases (backlog drains 1 per RTT).
 * <li>FAIL p1b: same state, one fast server stopped: a free lock cannot be had on the two servers
 *     still up ("not keeping up: 1525..5512 earlier calls").
 * <li>FAIL p1c: same state: a hold renewable on B + C is lost while A stalls 4 s (renewals skip C).
 * <li>FAIL p2: close() after such a load takes 11 s (2 x (2 x timeout + 1 s) + 1 s) and then drops
 *     the queued releases: the hold close() released stays on the slow server for its lease.
 * <li>FAIL p3: calls left behind on a SIGSTOPped server grow with the release rate (21,787..26,765
 *     in 3 s with poolSize 4; ~1.8 KB heap each), unbounded (README: "at most poolSize").
 * <li>FAIL p4: tryAcquire(ZERO) of a held lock takes 2 x timeout + 1 s while one server is "not
 *     keeping up": the refusal counts as an error, is given back via the backlog, and giveBack waits.
 * <li>FAIL p7: consequence of p4 for waiters: one acquisition of a contended mutex waits 11 s with one server stopped.
 * <li>FAIL p11: uncontended mutex + semaphore(2) cycles on 3 healthy servers (one at 80 ms): the
 *     2nd/3rd semaphore acquire(10 s) throws LockBackendException "not keeping up: 4 earlier calls".
 * <li>PASS p5 (lost() before lease with 2 of 3 stalled), p6 (mutex exclusion and rising tokens,
 *     slow + flapping servers), p8 (black-holed server used again ~2 s after healing), p9 (semaphore
 *     never over-commits, no shared tokens), p10 (measurement only: semaphore throughput with an 80 ms server).
 * </ul>
 */
class Issue15ReviewProbesTest {
    private List<RedisServer> servers;

    @BeforeEach
    void startServers() throws Exception {
        servers = List.of(RedisServer.start(), RedisServer.start(), RedisServer.start());
    }

    @AfterEach
    void stopServers() {
        servers.forEach(RedisServer::stop);
    }

    private static String url(List<String> addresses, String options) {
        return "redis://" + String.join(",", addresses) + "?" + options;
    }

    private static boolean exists(RedisServer s, String key) {
        try (Jedis j = s.client()) {
            return j.exists(key);
        }
    }

    private static int redlockThreads() {
        int n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith("dlock-redlock")) n++;
        }
        return n;
    }

    /** Uncontended acquire/release cycles on {@code threads} locks of their own for {@code millis}; returns the cycles done. */
    private static int load(LockProvider locks, String prefix, int threads, long millis) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger cycles = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            DistributedLock lock = locks.lock(prefix + "-" + i);
            Thread t = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        lock.acquire(Duration.ofSeconds(10)).release();
                        cycles.incrementAndGet();
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }
            }, "probe-load-" + i);
            t.start();
            ts.add(t);
        }
        Thread.sleep(millis);
        stop.set(true);
        for (Thread t : ts) t.join(60_000);
        if (failure.get() != null) System.out.println("  load saw a failure: " + failure.get());
        return cycles.get();
    }

    /**
     * Whether {@code server} takes part in a fresh hold: acquire, let its (possibly slow) answer
     * arrive, look at the key on the server itself, release.
     */
    private static boolean takesPart(LockProvider locks, RedisServer server, String name) throws InterruptedException {
        LockHandle h = locks.lock(name).acquire(Duration.ofSeconds(10));
        try {
            Thread.sleep(400);
            return exists(server, "dlock:{" + name + "}");
        } finally {
            h.release();
        }
    }

    // ---------------------------------------------------------------------------------------
    // P1: one server healthy but 80 ms away (a Redlock member in another zone). Under load its
    // releases go to the single-thread backlog (one call at a time, 80 ms each) faster than it
    // drains, and every queued release counts in the server's late count. Once the load ends,
    // the server stays "not keeping up" (refused for every acquire) until the whole backlog has
    // drained at 12 calls/s: a healthy server excluded for minutes.
    // ---------------------------------------------------------------------------------------
    @Test
    void p1_slowButHealthyServer_takesPartAgainSoonAfterALoadEnds() throws Exception {
        RedisServer c = servers.get(2);
        try (FaultProxy slow = FaultProxy.start("127.0.0.1", c.port())) {
            slow.delay(Duration.ofMillis(40)); // each way: about 80 ms a call
            List<String> addresses = List.of(servers.get(0).address(), servers.get(1).address(), slow.address());
            String name = "p1-" + UUID.randomUUID();
            try (LockProvider locks = LockProvider.open(url(addresses, "lease=30s&timeout=2s&poolSize=4"))) {
                assertTrue(takesPart(locks, c, name + "-before"), "the slow server took no part even before the load");
                int cycles = load(locks, name, 4, 2_000);
                long t0 = System.nanoTime();
                long excludedMs = -1;
                int probes = 0;
                while (System.nanoTime() - t0 < 20_000_000_000L) {
                    probes++;
                    if (takesPart(locks, c, name + "-after-" + probes)) {
                        excludedMs = (System.nanoTime() - t0) / 1_000_000;
                        break;
                    }
                    Thread.sleep(100);
                }
                System.out.printf("P1: %d cycles in 2 s with one server at ~80 ms; it took part in a fresh hold again after %s%n", cycles,
                        excludedMs < 0 ? "more than 20 s (" + probes + " probes)" : excludedMs + " ms");
                assertTrue(excludedMs >= 0 && excludedMs < 5_000, "after a 2 s load (" + cycles + " cycles), the healthy ~80 ms server was refused"
                        + " every acquire for " + (excludedMs < 0 ? "more than 20 s" : excludedMs + " ms"));
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // P1b: the consequence of P1 for availability: after the load, one of the two fast servers
    // fails (SIGSTOP). The two servers still up (a fast one and the healthy 80 ms one) are a
    // majority, yet a fresh, free lock cannot be acquired: the 80 ms server is refused as
    // "not keeping up" until its backlog of releases (of holds it never had) drains.
    // ---------------------------------------------------------------------------------------
    @Test
    void p1b_afterALoad_aMajorityOfHealthyServers_canStillLock() throws Exception {
        RedisServer a = servers.get(0);
        RedisServer c = servers.get(2);
        try (FaultProxy slow = FaultProxy.start("127.0.0.1", c.port())) {
            slow.delay(Duration.ofMillis(40));
            List<String> addresses = List.of(a.address(), servers.get(1).address(), slow.address());
            String name = "p1b-" + UUID.randomUUID();
            try (LockProvider locks = LockProvider.open(url(addresses, "lease=30s&timeout=2s&poolSize=4"))) {
                locks.lock(name + "-warm").acquire().release();
                int cycles = load(locks, name, 4, 2_000);
                Thread.sleep(2_000); // the load's stragglers answered
                a.pause();
                String outcome;
                long t0 = System.nanoTime();
                try {
                    Optional<LockHandle> h = locks.lock(name + "-fresh").tryAcquire(Duration.ofSeconds(5));
                    outcome = h.isPresent() ? "acquired" : "timed out";
                    h.ifPresent(LockHandle::release);
                } catch (RuntimeException e) {
                    outcome = e.toString();
                } finally {
                    a.resume();
                }
                long took = (System.nanoTime() - t0) / 1_000_000;
                System.out.printf("P1b: %d cycles, 2 s settle, then A stopped: tryAcquire(5 s) of a free lock on B + slow C: %s after %d ms%n", cycles, outcome, took);
                assertEquals("acquired", outcome, "two healthy servers of three are up (B, and C at ~80 ms), yet a free lock could not be had");
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // P1c: the consequence of P1 for holds: a lock held on all three servers (acquired before
    // the load), then a load makes the healthy ~80 ms server "not keeping up", so renewals skip
    // it. One fast server then stalls for 4 s (lease 3 s): the hold's lease is still renewable
    // on a majority (the other fast server and the 80 ms one), yet it is reported lost.
    // ---------------------------------------------------------------------------------------
    @Test
    void p1c_aHoldRenewableOnAHealthyMajority_isNotLost_afterALoad() throws Exception {
        RedisServer a = servers.get(0);
        RedisServer c = servers.get(2);
        try (FaultProxy slow = FaultProxy.start("127.0.0.1", c.port())) {
            slow.delay(Duration.ofMillis(40));
            List<String> addresses = List.of(a.address(), servers.get(1).address(), slow.address());
            String name = "p1c-" + UUID.randomUUID();
            try (LockProvider locks = LockProvider.open(url(addresses, "lease=3s&timeout=1s&poolSize=4"))) {
                LockHandle held = locks.lock(name).acquire();
                Thread.sleep(300);
                boolean onC = exists(c, "dlock:{" + name + "}");
                int cycles = load(locks, name + "-load", 4, 1_500);
                a.pause();
                try {
                    Thread.sleep(4_000);
                } finally {
                    a.resume();
                }
                long pttlC;
                try (Jedis j = c.client()) {
                    pttlC = j.pttl("dlock:{" + name + "}");
                }
                System.out.printf("P1c: hold on C before the load: %s; %d cycles; after A stalled 4 s: lost %s; its pttl on C %d ms%n", onC, cycles, held.isLost(), pttlC);
                assertTrue(onC, "setup: the hold did not reach C");
                assertTrue(!held.isLost(), "a hold whose lease B and C (both healthy) could renew was lost while A stalled (pttl on C now " + pttlC + " ms)");
                held.release();
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // P2: close() right after a load with one server at 80 ms: the backlog of queued releases
    // is awaited for 2 x (2 x timeout + 1 s) + 1 s, then dropped: how long does close() take,
    // and are dlock-redlock threads left?
    // ---------------------------------------------------------------------------------------
    @Test
    void p2_closeRightAfterALoad_withASlowServer_isPromptAndLeavesNoThreads() throws Exception {
        RedisServer c = servers.get(2);
        try (FaultProxy slow = FaultProxy.start("127.0.0.1", c.port())) {
            slow.delay(Duration.ofMillis(40));
            List<String> addresses = List.of(servers.get(0).address(), servers.get(1).address(), slow.address());
            String name = "p2-" + UUID.randomUUID();
            LockProvider locks = LockProvider.open(url(addresses, "lease=30s&timeout=2s&poolSize=4"));
            int cycles;
            long took;
            try {
                locks.lock(name + "-warm").acquire().release();
                locks.lock(name + "-held").acquire(); // on all three; released by close()
                cycles = load(locks, name, 4, 2_000);
            } finally {
                long t0 = System.nanoTime();
                locks.close();
                took = (System.nanoTime() - t0) / 1_000_000;
            }
            long deadline = System.nanoTime() + 3_000_000_000L;
            while (redlockThreads() > 0 && System.nanoTime() < deadline) Thread.sleep(50);
            int left = redlockThreads();
            long pttl;
            try (Jedis j = c.client()) {
                pttl = j.pttl("dlock:{" + name + "-held}");
            }
            System.out.printf("P2: %d cycles with one server at ~80 ms, then close() took %d ms; dlock-redlock threads 3 s later: %d;"
                    + " the hold close() released is left on the slow server: pttl %d ms%n", cycles, took, left, pttl);
            assertEquals(0, left, "dlock-redlock threads alive 3 s after close()");
            assertTrue(took < 3_000, "close() took " + took + " ms with every server up (one at 80 ms), timeout=2s");
            assertTrue(pttl < 0, "the hold close() released is still on the (healthy, 80 ms) server for " + pttl + " ms of its 30 s lease");
        }
    }

    // ---------------------------------------------------------------------------------------
    // P3: one server SIGSTOPped for 3 s under load. Its releases queue on the backlog, which
    // drains one call per socket timeout meanwhile: the queue grows with the release rate (the
    // README promises "at most poolSize left behind per server"). The count is read from the
    // "not keeping up: N earlier calls" message of an attempt that needs the stopped server.
    // Then: how fast is the server used again after SIGCONT?
    // ---------------------------------------------------------------------------------------
    @Test
    void p3_serverStoppedUnderLoad_callsLeftBehindStayBoundedByPoolSize_andItIsUsedAgainAfterResume() throws Exception {
        RedisServer a = servers.get(0);
        RedisServer c = servers.get(2);
        int pool = 4;
        String name = "p3-" + UUID.randomUUID();
        try (LockProvider locks = LockProvider.open(url(servers.stream().map(RedisServer::address).toList(), "lease=30s&timeout=2s&poolSize=" + pool))) {
            locks.lock(name + "-warm").acquire().release();
            System.gc();
            long heap0 = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
            c.pause();
            int cycles;
            String message = "";
            long heap1;
            try {
                cycles = load(locks, name, 4, 3_000);
                System.gc();
                heap1 = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
                a.pause(); // an immediate attempt now needs C: it reports C's count of calls left behind
                try {
                    locks.lock(name + "-count").tryAcquire(Duration.ZERO).ifPresent(LockHandle::release);
                } catch (RuntimeException e) {
                    message = e.getMessage();
                } finally {
                    a.resume();
                }
            } finally {
                c.resume();
            }
            long behind = -1;
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("not keeping up: (\\d+) earlier").matcher(message);
            if (m.find()) behind = Long.parseLong(m.group(1));
            long t0 = System.nanoTime();
            long backMs = -1;
            int probes = 0;
            while (System.nanoTime() - t0 < 20_000_000_000L) {
                if (takesPart(locks, c, name + "-after-" + ++probes)) {
                    backMs = (System.nanoTime() - t0) / 1_000_000;
                    break;
                }
            }
            System.out.printf("P3: %d cycles in 3 s with C stopped; calls to C left behind: %d (poolSize %d); heap +%d KB; C took part again %s after SIGCONT%n",
                    cycles, behind, pool, (heap1 - heap0) / 1024, backMs < 0 ? "not within 20 s" : backMs + " ms");
            assertTrue(backMs >= 0 && backMs < 5_000, "C took part again only after " + backMs + " ms");
            assertTrue(behind >= 0 && behind <= 4 * pool, "calls left behind on the stopped server: " + behind + " (poolSize " + pool + "); message: " + message);
        }
    }

    // ---------------------------------------------------------------------------------------
    // P4: a refused attempt on a held lock while one server is "not keeping up". The attempt's
    // failure path gives the token back on every server that erred, and the refusal ("not
    // keeping up", the script never ran there) counts as an error; since 4f7b415 that give-back
    // is never refused but queued on the stalled server's backlog, and giveBack() waits for it
    // (okNeeded 1 of 1) until the quorum call timeout. So tryAcquire(ZERO) on a held lock takes
    // 2 x timeout + 1 s instead of failing at once, and every refused attempt of a waiter too.
    // ---------------------------------------------------------------------------------------
    @Test
    void p4_tryAcquireZeroOfAHeldLock_failsPromptly_whileOneServerIsNotKeepingUp() throws Exception {
        RedisServer c = servers.get(2);
        int pool = 2;
        String name = "p4-" + UUID.randomUUID();
        String opts = "lease=30s&timeout=2s&poolSize=" + pool;
        List<String> addresses = servers.stream().map(RedisServer::address).toList();
        try (LockProvider holder = LockProvider.open(url(addresses, opts)); LockProvider other = LockProvider.open(url(addresses, opts))) {
            LockHandle held = holder.lock(name).acquire(); // on all three
            other.lock(name + "-warm").acquire().release();
            c.pause();
            List<Long> tookMs = new ArrayList<>();
            String results = "";
            try {
                for (int i = 0; i < pool; i++) other.lock(name + "-x" + i).acquire().release(); // calls left behind on C: now "not keeping up"
                for (int i = 0; i < 3; i++) {
                    long t0 = System.nanoTime();
                    Optional<LockHandle> h = other.lock(name).tryAcquire(Duration.ZERO);
                    tookMs.add((System.nanoTime() - t0) / 1_000_000);
                    results += h.isPresent() ? "ACQUIRED " : "refused ";
                    h.ifPresent(LockHandle::release);
                }
                long t0 = System.nanoTime();
                Optional<LockHandle> h = other.lock(name).tryAcquire(Duration.ofMillis(300));
                tookMs.add((System.nanoTime() - t0) / 1_000_000);
                results += h.isPresent() ? "ACQUIRED" : "refused";
                h.ifPresent(LockHandle::release);
            } finally {
                c.resume();
                held.release();
            }
            System.out.printf("P4: with C stopped and 'not keeping up': tryAcquire(ZERO) x3 then tryAcquire(300 ms) of a held lock: %s, took %s ms%n", results, tookMs);
            assertTrue(!results.contains("ACQUIRED"), "a held lock was acquired");
            assertTrue(tookMs.stream().allMatch(ms -> ms < 1_500), "tryAcquire(ZERO) / tryAcquire(300 ms) of a held lock took " + tookMs + " ms (timeout=2s)");
        }
    }

    // ---------------------------------------------------------------------------------------
    // P5: lost() timing when two of three servers stall during renewals (and one of them was
    // already "not keeping up"): lost() must complete before the lease could run out on the
    // servers, i.e. less than lease after the acquire was sent.
    // ---------------------------------------------------------------------------------------
    @Test
    void p5_lostCompletesBeforeTheLeaseRunsOut_whenTwoServersStallDuringRenewals() throws Exception {
        RedisServer b = servers.get(1);
        RedisServer c = servers.get(2);
        String name = "p5-" + UUID.randomUUID();
        try (LockProvider locks = LockProvider.open(url(servers.stream().map(RedisServer::address).toList(), "lease=3s&timeout=1s&poolSize=2"))) {
            locks.lock(name + "-warm").acquire().release();
            c.pause();
            try {
                for (int i = 0; i < 2; i++) locks.lock(name + "-x" + i).acquire().release(); // C not keeping up
                long t0 = System.nanoTime();
                LockHandle h = locks.lock(name).acquire();
                long acquired = System.nanoTime();
                java.util.concurrent.CompletableFuture<Long> lostAt = new java.util.concurrent.CompletableFuture<>();
                h.lost().thenRun(() -> lostAt.complete(System.nanoTime()));
                Thread.sleep(700);
                b.pause();
                long at;
                try {
                    at = lostAt.get(10, java.util.concurrent.TimeUnit.SECONDS);
                } finally {
                    b.resume();
                }
                long afterSend = (at - t0) / 1_000_000;
                System.out.printf("P5: acquire took %d ms; lost() completed %d ms after the acquire began (lease 3000 ms)%n",
                        (acquired - t0) / 1_000_000, afterSend);
                assertTrue(afterSend < 3_000, "lost() completed " + afterSend + " ms after the acquire was sent (lease 3 s)");
            } finally {
                c.resume();
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // P6 (exclusion and tokens): a contended mutex, 4 providers, one server at ~80 ms (its
    // backlog growing, see P1) while another is SIGSTOPped and resumed every 600 ms: never two
    // holders, and a later hold (acquired after an earlier one was released) has a greater token.
    // ---------------------------------------------------------------------------------------
    @Test
    void p6_contendedMutex_slowServerPlusFlappingServer_staysExclusiveWithRisingTokens() throws Exception {
        RedisServer a = servers.get(0);
        RedisServer c = servers.get(2);
        try (FaultProxy slow = FaultProxy.start("127.0.0.1", c.port())) {
            slow.delay(Duration.ofMillis(40));
            List<String> addresses = List.of(a.address(), servers.get(1).address(), slow.address());
            String name = "p6-" + UUID.randomUUID();
            List<LockProvider> providers = new ArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger inside = new AtomicInteger();
            AtomicInteger overlaps = new AtomicInteger();
            AtomicInteger holds = new AtomicInteger();
            AtomicInteger failures = new AtomicInteger();
            AtomicReference<Throwable> firstFailure = new AtomicReference<>();
            java.util.concurrent.ConcurrentLinkedQueue<long[]> taken = new java.util.concurrent.ConcurrentLinkedQueue<>(); // {acquired, released, token}
            try {
                for (int i = 0; i < 4; i++) providers.add(LockProvider.open(url(addresses, "lease=10s&timeout=1s&poolSize=4")));
                List<Thread> ts = new ArrayList<>();
                for (LockProvider p : providers) {
                    DistributedLock lock = p.lock(name);
                    Thread t = new Thread(() -> {
                        while (!stop.get()) {
                            try {
                                Optional<LockHandle> oh = lock.tryAcquire(Duration.ofSeconds(3));
                                if (oh.isEmpty()) continue;
                                LockHandle h = oh.get();
                                long t1 = System.nanoTime();
                                if (inside.incrementAndGet() != 1) overlaps.incrementAndGet();
                                Thread.sleep(1);
                                inside.decrementAndGet();
                                long t2 = System.nanoTime();
                                h.release();
                                holds.incrementAndGet();
                                taken.add(new long[] {t1, t2, h.fencingToken()});
                            } catch (Throwable e) {
                                failures.incrementAndGet();
                                firstFailure.compareAndSet(null, e);
                            }
                        }
                    });
                    t.start();
                    ts.add(t);
                }
                long end = System.nanoTime() + 8_000_000_000L;
                while (System.nanoTime() < end) {
                    Thread.sleep(600);
                    a.pause();
                    Thread.sleep(300);
                    a.resume();
                }
                stop.set(true);
                for (Thread t : ts) t.join(30_000);
            } finally {
                a.resume();
                providers.forEach(LockProvider::close);
            }
            List<long[]> all = new ArrayList<>(taken);
            all.sort(java.util.Comparator.comparingLong(x -> x[0]));
            int regressions = 0;
            String example = "";
            for (int i = 1; i < all.size(); i++) {
                if (all.get(i)[2] <= all.get(i - 1)[2]) {
                    if (regressions++ == 0) example = all.get(i - 1)[2] + " then " + all.get(i)[2];
                }
            }
            System.out.printf("P6: %d holds, %d overlaps, %d token regressions (%s), %d failed attempts (first: %s)%n", holds.get(), overlaps.get(), regressions, example,
                    failures.get(), firstFailure.get());
            assertEquals(0, overlaps.get(), "two holders at once");
            assertEquals(0, regressions, "successive holds' tokens not rising: " + example);
        }
    }

    // ---------------------------------------------------------------------------------------
    // P7 (consequence of P4 for waiters): a contended mutex, 3 providers x 2 threads, each hold
    // 5 ms. Holds in 6 s with every server up, then in 6 s with one server SIGSTOPped. Seen
    // failing 4 of 4 runs on e1a8524 (1..555 holds, longest waits 12-20 s): an attempt the two
    // live servers split (one grant, one refusal) was undecided until the stopped server's answer,
    // so it sat out the 2 s call timeout holding its grant, and so did every attempt behind it.
    // Attempts now stop waiting for a server stalled past its grace (Quorum.waitedUntil).
    // ---------------------------------------------------------------------------------------
    @Test
    void p7_contendedMutex_keepsGoing_whileOneServerIsStopped() throws Exception {
        RedisServer c = servers.get(2);
        String name = "p7-" + UUID.randomUUID();
        List<String> addresses = servers.stream().map(RedisServer::address).toList();
        List<LockProvider> providers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) providers.add(LockProvider.open(url(addresses, "lease=10s&timeout=2s&poolSize=4")));
            long[] healthy = contend(providers, name, 6_000);
            c.pause();
            long[] stopped;
            try {
                stopped = contend(providers, name, 6_000);
            } finally {
                c.resume();
            }
            System.out.printf("P7: contended mutex, 6 threads: all up: %d holds, longest wait %d ms; one server stopped: %d holds, longest wait %d ms%n",
                    healthy[0], healthy[1], stopped[0], stopped[1]);
            assertTrue(stopped[0] * 2 >= healthy[0], "with one server of three stopped, holds fell from " + healthy[0] + " to " + stopped[0] + " in 6 s");
            // after the fix about 300 ms with a server stopped as with all up; 3 s leaves room for a noisy machine
            assertTrue(stopped[1] < Math.max(3_000, 4 * healthy[1]), "with one server of three stopped, one acquisition waited " + stopped[1]
                    + " ms while the lock changed hands " + stopped[0] + " times in 6 s (all up: longest wait " + healthy[1] + " ms)");
        } finally {
            providers.forEach(LockProvider::close);
        }
    }

    /**
     * P7b: as P7, with the server stopped before the providers open, so they never saw it answer
     * (an undecided attempt waits for a server whose answer time is unknown). Seen failing with the
     * first form of the fix, 3 of 3 runs (1-276 holds in 6 s, waits of 8-20 s): every attempt the live
     * servers split still sat out the call timeout; a server that a call waited a whole timeout for (or
     * that failed only after half of it: a stopped server's kernel still accepts connections) now counts
     * as stalled. About 230-490 holds and a longest wait of 2-4 s (the first timeouts) since.
     */
    @Test
    void p7b_contendedMutex_keepsGoing_withAServerStoppedBeforeTheProvidersOpened() throws Exception {
        RedisServer c = servers.get(2);
        String name = "p7b-" + UUID.randomUUID();
        List<String> addresses = servers.stream().map(RedisServer::address).toList();
        List<LockProvider> providers = new ArrayList<>();
        c.pause();
        try {
            for (int i = 0; i < 3; i++) providers.add(LockProvider.open(url(addresses, "lease=10s&timeout=2s&poolSize=4")));
            long[] stopped = contend(providers, name, 6_000);
            System.out.printf("P7b: contended mutex, 6 threads, one server stopped from the start: %d holds, longest wait %d ms%n", stopped[0], stopped[1]);
            // cold start still learns slowly (a run after 56cf7d1: 7 holds, 6.2 s): bounds that only the unfixed code fails
            assertTrue(stopped[1] < 10_000, "one acquisition waited " + stopped[1] + " ms while the lock changed hands " + stopped[0] + " times in 6 s");
            // 1-6 holds in three of four runs before the fix; 149-628 since (149 in CI on 81e1b12: the first timeouts
            // for the stopped server cost up to 4 s of the 6)
            assertTrue(stopped[0] >= 1, "only " + stopped[0] + " holds in 6 s (about 800 with a server stopped once the providers knew it)");
        } finally {
            c.resume();
            providers.forEach(LockProvider::close);
        }
    }

    /** {holds, longest wait in ms} of 2 threads per provider contending on {@code name} for {@code millis}. */
    private static long[] contend(List<LockProvider> providers, String name, long millis) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger holds = new AtomicInteger();
        java.util.concurrent.atomic.AtomicLong longest = new java.util.concurrent.atomic.AtomicLong();
        List<Thread> ts = new ArrayList<>();
        for (LockProvider p : providers) {
            for (int k = 0; k < 2; k++) {
                DistributedLock lock = p.lock(name);
                Thread t = new Thread(() -> {
                    while (!stop.get()) {
                        long t0 = System.nanoTime();
                        try {
                            Optional<LockHandle> h = lock.tryAcquire(Duration.ofSeconds(20));
                            longest.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                            if (h.isPresent()) {
                                Thread.sleep(5);
                                h.get().release();
                                holds.incrementAndGet();
                            }
                        } catch (InterruptedException e) {
                            return;
                        } catch (RuntimeException e) {
                            // counted as no hold
                        }
                    }
                });
                t.start();
                ts.add(t);
            }
        }
        Thread.sleep(millis);
        stop.set(true);
        for (Thread t : ts) t.join(60_000);
        return new long[] {holds.get(), longest.get()};
    }

    // ---------------------------------------------------------------------------------------
    // P8: as P3 but the server is black-holed by the testkit proxy (connections accepted,
    // nothing forwarded) for 3 s under load, then healed: calls left behind, peak dlock-redlock
    // threads, and how fast the server takes part again.
    // ---------------------------------------------------------------------------------------
    @Test
    void p8_blackHoledServerUnderLoad_isUsedAgainSoonAfterHealing() throws Exception {
        RedisServer c = servers.get(2);
        int pool = 4;
        try (FaultProxy proxy = FaultProxy.start("127.0.0.1", c.port())) {
            List<String> addresses = List.of(servers.get(0).address(), servers.get(1).address(), proxy.address());
            String name = "p8-" + UUID.randomUUID();
            try (LockProvider locks = LockProvider.open(url(addresses, "lease=30s&timeout=2s&poolSize=" + pool))) {
                assertTrue(takesPart(locks, c, name + "-before"));
                AtomicBoolean sampling = new AtomicBoolean(true);
                AtomicInteger peak = new AtomicInteger();
                Thread sampler = new Thread(() -> {
                    while (sampling.get()) {
                        peak.accumulateAndGet(redlockThreads(), Math::max);
                        try {
                            Thread.sleep(20);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                sampler.start();
                proxy.mode(FaultProxy.Mode.BLACK_HOLE);
                int cycles;
                try {
                    cycles = load(locks, name, 4, 3_000);
                } finally {
                    proxy.heal();
                }
                long t0 = System.nanoTime();
                long backMs = -1;
                int probes = 0;
                while (System.nanoTime() - t0 < 30_000_000_000L) {
                    if (takesPart(locks, c, name + "-after-" + ++probes)) {
                        backMs = (System.nanoTime() - t0) / 1_000_000;
                        break;
                    }
                }
                sampling.set(false);
                sampler.join();
                System.out.printf("P8: %d cycles in 3 s with C black-holed; peak dlock-redlock threads %d; C took part again %s after healing%n",
                        cycles, peak.get(), backMs < 0 ? "not within 30 s" : backMs + " ms");
                assertTrue(backMs >= 0 && backMs < 8_000, "C took part again only after " + (backMs < 0 ? "more than 30 s" : backMs + " ms"));
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // P9 (permits): a semaphore of 2 permits, 4 providers x 2 threads, one server at ~80 ms (its
    // backlog growing) while another is SIGSTOPped and resumed: never more than 2 holders, and
    // concurrent holders never share a token.
    // ---------------------------------------------------------------------------------------
    @Test
    void p9_semaphore_slowServerPlusFlappingServer_neverOverCommits() throws Exception {
        RedisServer a = servers.get(0);
        RedisServer c = servers.get(2);
        try (FaultProxy slow = FaultProxy.start("127.0.0.1", c.port())) {
            slow.delay(Duration.ofMillis(40));
            List<String> addresses = List.of(a.address(), servers.get(1).address(), slow.address());
            String name = "p9-" + UUID.randomUUID();
            List<LockProvider> providers = new ArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger inside = new AtomicInteger();
            AtomicInteger over = new AtomicInteger();
            AtomicInteger holds = new AtomicInteger();
            java.util.Set<Long> current = java.util.concurrent.ConcurrentHashMap.newKeySet();
            AtomicInteger shared = new AtomicInteger();
            try {
                for (int i = 0; i < 4; i++) providers.add(LockProvider.open(url(addresses, "lease=10s&timeout=1s&poolSize=4")));
                List<Thread> ts = new ArrayList<>();
                for (LockProvider p : providers) {
                    for (int k = 0; k < 2; k++) {
                        DistributedLock permit = p.semaphore(name, 2);
                        Thread t = new Thread(() -> {
                            while (!stop.get()) {
                                try {
                                    Optional<LockHandle> oh = permit.tryAcquire(Duration.ofSeconds(3));
                                    if (oh.isEmpty()) continue;
                                    LockHandle h = oh.get();
                                    if (inside.incrementAndGet() > 2) over.incrementAndGet();
                                    if (!current.add(h.fencingToken())) shared.incrementAndGet();
                                    Thread.sleep(1);
                                    current.remove(h.fencingToken());
                                    inside.decrementAndGet();
                                    h.release();
                                    holds.incrementAndGet();
                                } catch (Throwable e) {
                                    // counted as no hold
                                }
                            }
                        });
                        t.start();
                        ts.add(t);
                    }
                }
                long end = System.nanoTime() + 8_000_000_000L;
                while (System.nanoTime() < end) {
                    Thread.sleep(600);
                    a.pause();
                    Thread.sleep(300);
                    a.resume();
                }
                stop.set(true);
                for (Thread t : ts) t.join(30_000);
            } finally {
                a.resume();
                providers.forEach(LockProvider::close);
            }
            System.out.printf("P9: %d permit holds, %d times more than 2 holders, %d shared tokens among concurrent holders%n", holds.get(), over.get(), shared.get());
            assertEquals(0, over.get(), "more than 2 permits held at once");
            assertEquals(0, shared.get(), "concurrent holders shared a fencing token");
        }
    }

    // ---------------------------------------------------------------------------------------
    // P10 (measurement behind P9's low count): semaphore of 2 permits, 4 providers x 2 threads,
    // 1 ms holds, 5 s: every server fast, then one server at ~80 ms (no other fault); a mutex
    // the same way for comparison. Asserts only that no acquisition threw.
    // ---------------------------------------------------------------------------------------
    @Test
    void p10_semaphoreThroughput_withOneServerAt80ms() throws Exception {
        RedisServer c = servers.get(2);
        try (FaultProxy slow = FaultProxy.start("127.0.0.1", c.port())) {
            List<String> addresses = List.of(servers.get(0).address(), servers.get(1).address(), slow.address());
            long[] fast = permits(addresses, "p10a-" + UUID.randomUUID(), 5_000);
            slow.delay(Duration.ofMillis(40));
            long[] slowed = permits(addresses, "p10b-" + UUID.randomUUID(), 5_000);
            String mutexName = "p10c-" + UUID.randomUUID();
            long[] mutex = holdsOf(addresses, p -> p.lock(mutexName), 5_000);
            System.out.printf("P10: semaphore(2), 8 threads, 5 s: all fast: %d holds (longest wait %d ms, %d acquisitions threw); one server at ~80 ms: %d holds"
                    + " (longest wait %d ms, %d acquisitions threw); a mutex the same way with one server at ~80 ms: %d holds (longest wait %d ms, %d threw)%n",
                    fast[0], fast[1], fast[2], slowed[0], slowed[1], slowed[2], mutex[0], mutex[1], mutex[2]);
            assertEquals(0, slowed[2], "with every server up (one at ~80 ms), " + slowed[2] + " permit acquisitions (tryAcquire 10 s) threw");
            // measurement only: a semaphore of 2 on 3 servers needs all 3 (RedisSemaphore), so every permit waits for the 80 ms
            // server by design; the drop (about 40x) and the longest wait (seconds: P4's give-back wait) are reported, not asserted
        }
    }

    private static long[] permits(List<String> addresses, String name, long millis) throws InterruptedException {
        return holdsOf(addresses, p -> p.semaphore(name, 2), millis);
    }

    /** {holds, longest wait in ms} of 4 providers x 2 threads taking {@code kind} for 1 ms each during {@code millis}. */
    private static long[] holdsOf(List<String> addresses, java.util.function.Function<LockProvider, DistributedLock> kind, long millis) throws InterruptedException {
        List<LockProvider> providers = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger holds = new AtomicInteger();
        java.util.concurrent.atomic.AtomicLong longest = new java.util.concurrent.atomic.AtomicLong();
        AtomicInteger failures = new AtomicInteger();
        try {
            for (int i = 0; i < 4; i++) providers.add(LockProvider.open(url(addresses, "lease=10s&timeout=1s&poolSize=4")));
            List<Thread> ts = new ArrayList<>();
            for (LockProvider p : providers) {
                for (int k = 0; k < 2; k++) {
                    DistributedLock permit = kind.apply(p);
                    Thread t = new Thread(() -> {
                        while (!stop.get()) {
                            long t0 = System.nanoTime();
                            try {
                                Optional<LockHandle> oh = permit.tryAcquire(Duration.ofSeconds(10));
                                longest.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                                if (oh.isEmpty()) continue;
                                Thread.sleep(1);
                                oh.get().release();
                                holds.incrementAndGet();
                            } catch (InterruptedException e) {
                                return;
                            } catch (RuntimeException e) {
                                failures.incrementAndGet();
                            }
                        }
                    });
                    t.start();
                    ts.add(t);
                }
            }
            Thread.sleep(millis / 2);
            if (Boolean.getBoolean("p10.dump")) {
                for (Thread t : ts) {
                    StringBuilder b = new StringBuilder("  " + t.getName() + ":");
                    for (StackTraceElement e : t.getStackTrace()) {
                        if (e.getClassName().startsWith("io.github.dlock") && !e.getClassName().contains("Issue15")) b.append("\n      ").append(e);
                    }
                    System.out.println(b);
                }
            }
            Thread.sleep(millis - millis / 2);
            stop.set(true);
            for (Thread t : ts) t.join(60_000);
        } finally {
            providers.forEach(LockProvider::close);
        }
        return new long[] {holds.get(), longest.get(), failures.get()};
    }

    // ---------------------------------------------------------------------------------------
    // P11: a semaphore of 2 permits on 3 servers needs all 3 (floor(N*P/(P+1))+1, see
    // RedisSemaphore). With one server ~80 ms away (healthy), each permit's fence write-back
    // and release return before its answer, and so do a mutex's acquire and release (a majority
    // suffices): a few uncontended cycles leave poolSize calls behind on it, and the next
    // semaphore acquire() is refused there at once as "not keeping up": it throws instead of
    // waiting the 80 ms, on a set of servers that are all up.
    // ---------------------------------------------------------------------------------------
    @Test
    void p11_uncontendedSemaphoreCycles_withOneServerAt80ms_neverThrow() throws Exception {
        RedisServer c = servers.get(2);
        try (FaultProxy slow = FaultProxy.start("127.0.0.1", c.port())) {
            slow.delay(Duration.ofMillis(40));
            List<String> addresses = List.of(servers.get(0).address(), servers.get(1).address(), slow.address());
            try (LockProvider locks = LockProvider.open(url(addresses, "lease=10s&timeout=1s&poolSize=4"))) {
                DistributedLock sem = locks.semaphore("p11-" + UUID.randomUUID(), 2);
                DistributedLock mutex = locks.lock("p11-m-" + UUID.randomUUID());
                int done = 0;
                String failure = null;
                for (int i = 0; i < 20 && failure == null; i++) {
                    try {
                        mutex.acquire(Duration.ofSeconds(10)).release(); // the same provider also guards something with a mutex
                        sem.acquire(Duration.ofSeconds(10)).release();
                        done++;
                    } catch (RuntimeException e) {
                        failure = e.toString();
                    }
                }
                System.out.printf("P11: semaphore(2) on 3 healthy servers (one at ~80 ms): %d of 20 uncontended cycles (mutex acquire(10 s)+release, then permit acquire(10 s)+release) before: %s%n", done,
                        failure == null ? "none failed" : failure);
                assertEquals(null, failure, "cycle " + (done + 1) + " of an uncontended semaphore on three healthy servers threw");
            }
        }
    }
}
