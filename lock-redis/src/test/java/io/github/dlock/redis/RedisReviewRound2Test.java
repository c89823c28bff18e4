package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockBackendException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockHolder;
import io.github.dlock.LockProvider;
import io.github.dlock.testkit.FaultProxy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Second adversarial review of issue 11 (after the fixes of the first): connection drops
 * after the server ran a call, attempt slots and turns, close() races, and the loss promise
 * with slots saturated. Each test starts its own servers.
 */
class RedisReviewRound2Test {

    // ---------------------------------------------------------------------------------------
    // (a) a dropped connection after the server ran the call (reply lost)
    // ---------------------------------------------------------------------------------------

    @Test
    void acquireReplyLost_connectionDropsAfterTheServerGranted_oneHolderAndNothingLeftAfterRelease() throws Exception {
        try (RedisServer server = RedisServer.start(); ReplyDropProxy proxy = new ReplyDropProxy(server.port());
                LockProvider locks = LockProvider.open("redis://127.0.0.1:" + proxy.port() + "?lease=10s&timeout=1s");
                LockProvider direct = LockProvider.open("redis://" + server.address() + "?lease=10s&timeout=1s")) {
            List<String> problems = new ArrayList<>();
            Map<String, Function<String, DistributedLock>> kinds = Map.of(
                    "mutex", n -> locks.lock(n),
                    "permit", n -> locks.semaphore(n, 2),
                    "read", n -> locks.readWriteLock(n).readLock(),
                    "write", n -> locks.readWriteLock(n).writeLock());
            Map<String, RedisScripts> scripts = Map.of("mutex", RedisScripts.ACQUIRE_MUTEX, "permit", RedisScripts.ACQUIRE_PERMIT,
                    "read", RedisScripts.ACQUIRE_READ, "write", RedisScripts.ACQUIRE_WRITE);
            for (String kind : kinds.keySet()) {
                for (boolean waiting : new boolean[] {false, true}) {
                    String name = "drop-" + kind + "-" + waiting;
                    locks.lock("warm-" + name).tryAcquire().orElseThrow().release(); // scripts loaded, a pooled connection
                    proxy.dropReplyOf(scripts.get(kind).flaggedSha, 1);
                    Optional<LockHandle> h;
                    try {
                        h = waiting ? kinds.get(kind).apply(name).tryAcquire(Duration.ofSeconds(5)) : kinds.get(kind).apply(name).tryAcquire();
                    } catch (RuntimeException e) {
                        problems.add(kind + "/" + (waiting ? "waiting" : "immediate") + ": threw " + e);
                        continue;
                    }
                    if (proxy.dropsDone() != 1) problems.add(kind + ": the proxy dropped " + proxy.dropsDone() + " replies, not 1");
                    proxy.resetDrops();
                    if (h.isEmpty()) {
                        problems.add(kind + "/" + (waiting ? "waiting" : "immediate") + ": a free lock was not acquired after a lost reply");
                        continue;
                    }
                    List<LockHolder> holders = direct.holders(name);
                    if (holders.size() != 1) problems.add(kind + ": " + holders.size() + " holders on the server after one acquire: " + holders);
                    h.get().release();
                    holders = direct.holders(name);
                    if (!holders.isEmpty()) problems.add(kind + ": holders left after release: " + holders);
                    try (Jedis j = server.client()) {
                        // a writer's waiting mark must not outlive it either (would refuse readers)
                        if (j.exists("dlock:{" + name + "}:rw:waiting")) problems.add(kind + ": waiting-writer mark left: "
                                + j.zrangeWithScores("dlock:{" + name + "}:rw:waiting", 0, -1));
                    }
                    if (kind.equals("write") && locks.readWriteLock(name).readLock().tryAcquire().map(r -> {
                        r.release();
                        return false;
                    }).orElse(true)) {
                        problems.add("write: a reader was refused right after the writer released");
                    }
                }
            }
            assertTrue(problems.isEmpty(), String.join("\n", problems));
        }
    }

    @Test
    void redlockAcquireReplyLost_onOneNode_noDoubleGrantNoLeftovers() throws Exception {
        List<RedisServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) servers.add(RedisServer.start());
            try (ReplyDropProxy proxy = new ReplyDropProxy(servers.get(0).port());
                    LockProvider viaProxy = LockProvider.open("redis://127.0.0.1:" + proxy.port() + "," + servers.get(1).address() + ","
                            + servers.get(2).address() + "?lease=10s&timeout=1s");
                    LockProvider direct = LockProvider.open("redis://" + servers.stream().map(RedisServer::address).collect(Collectors.joining(","))
                            + "?lease=10s&timeout=1s")) {
                AtomicInteger inside = new AtomicInteger();
                AtomicInteger overlaps = new AtomicInteger();
                ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
                int drops = 0;
                for (int round = 0; round < 40; round++) {
                    String name = "redlock-drop-" + round;
                    drops += proxy.dropsDone();
                    proxy.resetDrops();
                    proxy.dropReplyOf(RedisScripts.ACQUIRE_MUTEX.flaggedSha, 1 + round % 3);
                    CountDownLatch go = new CountDownLatch(1);
                    List<Thread> threads = new ArrayList<>();
                    for (LockProvider p : List.of(viaProxy, direct, viaProxy, direct)) {
                        threads.add(daemon(() -> {
                            try {
                                go.await();
                                Optional<LockHandle> h = p.lock(name).tryAcquire(Duration.ofSeconds(8));
                                if (h.isEmpty()) {
                                    problems.add(name + ": not acquired within 8 s");
                                    return;
                                }
                                if (inside.incrementAndGet() > 1) overlaps.incrementAndGet();
                                Thread.sleep(ThreadLocalRandom.current().nextInt(0, 5));
                                inside.decrementAndGet();
                                h.get().release();
                            } catch (Throwable t) {
                                problems.add(name + ": " + t);
                            }
                        }));
                    }
                    go.countDown();
                    for (Thread t : threads) t.join(30_000);
                    // every hold released: within the release window nothing of the lock is left on any server
                    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                    List<String> left;
                    do {
                        left = leftovers(servers, name);
                        if (left.isEmpty()) break;
                        Thread.sleep(20);
                    } while (System.nanoTime() < end);
                    if (!left.isEmpty()) problems.add(name + ": left after both holders released: " + left);
                }
                drops += proxy.dropsDone();
                System.out.println("[probe] redlock, acquire replies lost on one of 3 servers: " + drops + " replies dropped in 40 rounds");
                assertTrue(drops >= 20, "the proxy dropped only " + drops + " acquire replies");
                assertEquals(0, overlaps.get(), "two holders at once");
                assertTrue(problems.isEmpty(), String.join("\n", problems));
            }
        } finally {
            for (RedisServer s : servers) s.close();
        }
    }

    /**
     * A lost acquire reply on a slow server is followed, inside that server's call, by a
     * give-back and a second try; if the hold is released and the provider closed meanwhile,
     * whatever that late call did must still be undone (found by CI: a key left held after
     * close()).
     */
    @Test
    void redlock_closeRightAfterRelease_whileASlowServersAcquireReplyWasLost_leavesNothingHeld() throws Exception {
        List<RedisServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) servers.add(RedisServer.start());
            try (FaultProxy slow = FaultProxy.start("127.0.0.1", servers.get(0).port()); ReplyDropProxy drop = new ReplyDropProxy(slow.port())) {
                LockProvider locks = LockProvider.open("redis://127.0.0.1:" + drop.port() + "," + servers.get(1).address() + ","
                        + servers.get(2).address() + "?lease=30s&timeout=5s");
                try {
                    locks.lock("warm").tryAcquire().orElseThrow().release(); // scripts loaded, pooled connections
                    slow.delay(Duration.ofMillis(300));
                    drop.dropReplyOf(RedisScripts.ACQUIRE_MUTEX.flaggedSha, 1);
                    LockHandle h = locks.lock("late").tryAcquire().orElseThrow(); // the two fast servers decide it
                    h.release();
                } finally {
                    locks.close();
                }
                assertEquals(1, drop.dropsDone(), "the acquire reply of the slow server was not dropped");
                List<String> left = leftovers(servers, "late");
                assertTrue(left.isEmpty(), "left held after release and close(): " + left);
            }
        } finally {
            for (RedisServer s : servers) s.close();
        }
    }

    /** Keys of lock {@code name} (other than its fencing counter) on each server, with value and TTL. */
    private static List<String> leftovers(List<RedisServer> servers, String name) {
        List<String> left = new ArrayList<>();
        for (RedisServer s : servers) {
            try (Jedis j = s.client()) {
                for (String key : j.keys("*{" + name + "}*")) {
                    if (key.endsWith(":fence")) continue;
                    left.add(s.port() + " " + key + " (" + j.type(key) + ", ttl " + j.pttl(key) + " ms"
                            + (j.type(key).equals("string") ? ", token " + j.get(key) : "") + ")");
                }
            }
        }
        return left;
    }

    @Test
    void releaseAndRenewalReplyLost_releaseFreesTheLock_renewalKeepsIt() throws Exception {
        try (RedisServer server = RedisServer.start(); ReplyDropProxy proxy = new ReplyDropProxy(server.port());
                LockProvider locks = LockProvider.open("redis://127.0.0.1:" + proxy.port() + "?lease=1500ms&timeout=1s");
                LockProvider other = LockProvider.open("redis://" + server.address() + "?lease=10s&timeout=1s")) {
            LockHandle h = locks.lock("rr").acquire(Duration.ofSeconds(5));
            proxy.dropReplyOf(RedisScripts.RENEW_KEY.flaggedSha, 3); // three renewal rounds lose their reply (each retried once)
            long end = System.nanoTime() + Duration.ofSeconds(4).toNanos();
            while (System.nanoTime() < end && !h.isLost()) Thread.sleep(50);
            int dropped = proxy.dropsDone();
            assertFalse(h.isLost(), "lost after " + dropped + " renewal replies were lost to dropped connections");
            assertTrue(dropped >= 2, "only " + dropped + " renewal replies dropped");
            proxy.resetDrops();
            proxy.dropReplyOf(RedisScripts.RELEASE_KEY.flaggedSha, 1);
            h.release(); // must not throw: the release ran, then is repeated (returns 0)
            assertEquals(1, proxy.dropsDone());
            assertTrue(other.lock("rr").tryAcquire().isPresent(), "lock still held after a release whose reply was lost");
        }
    }

    // ---------------------------------------------------------------------------------------
    // (d) attempt slots and turns
    // ---------------------------------------------------------------------------------------

    private static String tryAcquireStorm(String url, boolean slow) throws Exception {
        int threads = 50;
        int perThread = slow ? 40 : 200;
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger got = new AtomicInteger();
        AtomicInteger empty = new AtomicInteger();
        ConcurrentLinkedQueue<String> messages = new ConcurrentLinkedQueue<>();
        long start = System.nanoTime();
        try (LockProvider locks = LockProvider.open(url)) {
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                ts.add(daemon(() -> {
                    try {
                        go.await();
                        for (int i = 0; i < perThread; i++) {
                            String name = (i % 2 == 0) ? "storm-shared-" + (id % 5) : "storm-own-" + id;
                            try {
                                Optional<LockHandle> h = locks.lock(name).tryAcquire();
                                if (h.isPresent()) {
                                    got.incrementAndGet();
                                    h.get().release();
                                } else {
                                    empty.incrementAndGet();
                                }
                            } catch (LockBackendException e) {
                                failures.incrementAndGet();
                                if (messages.size() < 3) messages.add(e.getMessage());
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            go.countDown();
            for (Thread t : ts) t.join();
        }
        return failures.get() + " failures of " + threads * perThread + " tryAcquire() (" + got + " acquired, " + empty + " empty) in "
                + (System.nanoTime() - start) / 1_000_000 + " ms; e.g. " + messages;
    }

    private static long handoverMs(LockProvider outside, LockProvider locks, String name) throws Exception {
        LockHandle hold = outside.lock(name).acquire(Duration.ofSeconds(5));
        AtomicLong acquiredAt = new AtomicLong();
        CountDownLatch subscribed = new CountDownLatch(1);
        Thread w = daemon(() -> {
            try {
                subscribed.countDown();
                locks.lock(name).tryAcquire(Duration.ofSeconds(20)).ifPresent(h -> {
                    acquiredAt.set(System.nanoTime());
                    h.release();
                });
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        subscribed.await();
        Thread.sleep(1500); // subscribed and waiting on its (long) retry pause
        long released = System.nanoTime();
        hold.release();
        w.join();
        return acquiredAt.get() == 0 ? -1 : (acquiredAt.get() - released) / 1_000_000;
    }

    // ---------------------------------------------------------------------------------------
    // (c) close() racing calls
    // ---------------------------------------------------------------------------------------

    /** An acquire whose request is on the wire when close() runs: nothing may stay held on the server. */
    @Test
    void closeWhileAnAcquireIsInFlight_leavesNoLockOnTheServer_single() throws Exception {
        try (RedisServer server = RedisServer.start(); FaultProxy proxy = FaultProxy.start("127.0.0.1", server.port())) {
            LockProvider locks = LockProvider.open("redis://" + proxy.address() + "?lease=30s&timeout=3s");
            locks.lock("warm").tryAcquire().orElseThrow().release();
            proxy.delay(Duration.ofMillis(400)); // request reaches the server at ~400 ms, reply comes back at ~800 ms
            AtomicReferenceHolder outcome = new AtomicReferenceHolder();
            Thread t = daemon(() -> {
                try {
                    outcome.set(String.valueOf(locks.lock("inflight").tryAcquire(Duration.ofSeconds(10))));
                } catch (Throwable e) {
                    outcome.set(e.toString());
                }
            });
            Thread.sleep(150);
            locks.close();
            t.join(10_000);
            try (Jedis j = server.client()) {
                long pttl = j.pttl("dlock:{inflight}");
                System.out.println("[probe] acquire in flight at close: caller got " + outcome.get() + "; key PTTL after close " + pttl);
                assertTrue(pttl < 0, "the lock stays held on the server for " + pttl + " ms after close(); the caller got " + outcome.get());
            }
        }
    }

    @Test
    void closeWhileAnAcquireIsInFlight_leavesNoLockOnTheServers_redlock() throws Exception {
        List<RedisServer> servers = List.of(RedisServer.start(), RedisServer.start(), RedisServer.start());
        List<FaultProxy> proxies = new ArrayList<>();
        try {
            for (RedisServer s : servers) proxies.add(FaultProxy.start("127.0.0.1", s.port()));
            LockProvider locks = LockProvider.open("redis://" + proxies.stream().map(FaultProxy::address).collect(Collectors.joining(","))
                    + "?lease=30s&timeout=3s");
            locks.lock("warm").tryAcquire().orElseThrow().release();
            proxies.forEach(p -> p.delay(Duration.ofMillis(400)));
            AtomicReferenceHolder outcome = new AtomicReferenceHolder();
            Thread t = daemon(() -> {
                try {
                    outcome.set(String.valueOf(locks.lock("inflight").tryAcquire(Duration.ofSeconds(10))));
                } catch (Throwable e) {
                    outcome.set(e.toString());
                }
            });
            Thread.sleep(150);
            locks.close();
            t.join(15_000);
            Thread.sleep(1000); // late give-backs, if any
            List<String> left = new ArrayList<>();
            for (RedisServer s : servers) {
                try (Jedis j = s.client()) {
                    long pttl = j.pttl("dlock:{inflight}");
                    if (pttl >= 0) left.add(s.address() + " pttl " + pttl);
                }
            }
            System.out.println("[probe] redlock acquire in flight at close: caller got " + outcome.get() + "; left " + left);
            assertTrue(left.isEmpty(), "the lock stays held after close() on " + left + "; the caller got " + outcome.get());
        } finally {
            proxies.forEach(FaultProxy::close);
            servers.forEach(RedisServer::stop);
        }
    }

    /** extend(), holders(), remainingLease() racing close(): only IllegalStateException may come out. */
    @Test
    void extendHoldersRemainingLeaseRacingClose_throwOnlyIllegalStateException() throws Exception {
        Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        try (RedisServer server = RedisServer.start(); FaultProxy proxy = FaultProxy.start("127.0.0.1", server.port())) {
            proxy.delay(Duration.ofMillis(5));
            for (int round = 0; round < 10; round++) {
                LockProvider locks = LockProvider.open("redis://" + proxy.address() + "?lease=5s&timeout=2s");
                String name = "race-" + round;
                List<LockHandle> hs = new ArrayList<>();
                for (int i = 0; i < 6; i++) hs.add(locks.semaphore(name, 6).acquire(Duration.ofSeconds(5)));
                AtomicBoolean closed = new AtomicBoolean();
                CountDownLatch started = new CountDownLatch(18);
                List<Thread> ts = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    LockHandle h = hs.get(i);
                    ts.add(daemon(() -> loop(seen, "extend", started, closed, () -> h.extend(Duration.ofSeconds(10)))));
                    ts.add(daemon(() -> loop(seen, "holders", started, closed, () -> locks.holders(name))));
                    ts.add(daemon(() -> loop(seen, "remainingLease", started, closed, () -> h.remainingLease())));
                }
                started.await();
                Thread.sleep(30 + 7 * round);
                locks.close();
                closed.set(true);
                for (Thread t : ts) t.join(10_000);
            }
        }
        System.out.println("[probe] outcomes of calls racing close(): " + new java.util.TreeMap<>(seen));
        // close() reports the loss of each lock it releases before releasing it: an extend in between says so
        List<String> bad = seen.keySet().stream().filter(k -> !k.contains("-> ok") && !k.contains("IllegalStateException")
                && !(k.startsWith("extend -> LockLostException") && k.contains("was lost: its provider"))).sorted().toList();
        assertTrue(bad.isEmpty(), "calls racing close() threw: " + bad);
    }

    /** Calls {@code r} until a while after close: outcomes counted by kind. */
    private static void loop(Map<String, AtomicInteger> seen, String what, CountDownLatch started, AtomicBoolean closed, Runnable r) {
        started.countDown();
        int after = 0;
        while (after < 3) {
            if (closed.get()) after++;
            call(seen, what, r);
        }
    }

    private static void call(Map<String, AtomicInteger> seen, String what, Runnable r) {
        String outcome;
        try {
            r.run();
            outcome = "ok";
        } catch (RuntimeException e) {
            String m = String.valueOf(e.getMessage());
            outcome = e.getClass().getSimpleName() + ": " + (m.length() > 90 ? m.substring(0, 90) : m);
        }
        seen.computeIfAbsent(what + " -> " + outcome, k -> new AtomicInteger()).incrementAndGet();
    }

    // ---------------------------------------------------------------------------------------
    // the promise, with attempt slots saturated
    // ---------------------------------------------------------------------------------------

    // ---------------------------------------------------------------------------------------
    // helpers
    // ---------------------------------------------------------------------------------------

    private static final class AtomicReferenceHolder {
        private volatile String value = "(nothing)";

        void set(String v) {
            value = v;
        }

        String get() {
            return value;
        }
    }

    /**
     * A TCP proxy that, when a request contains a given byte pattern (e.g. a script's SHA),
     * forwards it, lets the server answer, then drops the reply and resets the client's
     * connection: the server ran the call, the client sees a dropped connection.
     */
    static final class ReplyDropProxy implements AutoCloseable {
        private final ServerSocket listener;
        private final int target;
        private volatile byte[] trigger;
        private final AtomicInteger dropsLeft = new AtomicInteger();
        private final AtomicInteger dropsDone = new AtomicInteger();
        private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
        private volatile boolean closed;

        ReplyDropProxy(int target) throws IOException {
            this.target = target;
            this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::acceptLoop, "reply-drop-proxy");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return listener.getLocalPort();
        }

        void dropReplyOf(byte[] pattern, int times) {
            trigger = pattern;
            dropsLeft.set(times);
        }

        int dropsDone() {
            return dropsDone.get();
        }

        void resetDrops() {
            dropsLeft.set(0);
            dropsDone.set(0);
        }

        private void acceptLoop() {
            while (!closed) {
                try {
                    Socket client = listener.accept();
                    Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                    sockets.add(client);
                    sockets.add(server);
                    AtomicBoolean dropNext = new AtomicBoolean();
                    pump(client, server, dropNext, true);
                    pump(server, client, dropNext, false);
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void pump(Socket from, Socket to, AtomicBoolean dropNext, boolean up) {
            Thread t = new Thread(() -> {
                byte[] buffer = new byte[64 * 1024];
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        if (up) {
                            byte[] p = trigger;
                            if (p != null && contains(buffer, n, p) && dropsLeft.getAndDecrement() > 0) dropNext.set(true);
                        } else if (dropNext.get()) {
                            dropsDone.incrementAndGet();
                            reset(to); // the client: connection reset, reply lost
                            from.close();
                            return;
                        }
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                } catch (IOException e) {
                    // gone
                } finally {
                    try {
                        from.close();
                    } catch (IOException ignored) {
                        // closed
                    }
                    try {
                        to.close();
                    } catch (IOException ignored) {
                        // closed
                    }
                }
            }, "reply-drop-" + (up ? "up" : "down"));
            t.setDaemon(true);
            t.start();
        }

        private static void reset(Socket s) {
            try {
                s.setSoLinger(true, 0);
                s.close();
            } catch (IOException ignored) {
                // closed
            }
        }

        private static boolean contains(byte[] buffer, int n, byte[] p) {
            outer:
            for (int i = 0; i + p.length <= n; i++) {
                for (int k = 0; k < p.length; k++) if (buffer[i + k] != p[k]) continue outer;
                return true;
            }
            return false;
        }

        @Override
        public void close() throws IOException {
            closed = true;
            listener.close();
            for (Socket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closed
                }
            }
        }
    }

    private static Thread daemon(Runnable r) {
        Thread t = new Thread(r);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
