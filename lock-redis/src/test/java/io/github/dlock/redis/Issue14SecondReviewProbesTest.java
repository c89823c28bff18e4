package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.testkit.RedisTopologies;
import io.github.dlock.testkit.RedisTopologies.Cluster;
import io.github.dlock.testkit.RedisTopologies.RedisProcess;
import io.github.dlock.testkit.RedisTopologies.SentinelSet;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Second adversarial review of the Sentinel / Cluster support (issue 14): stalls (SIGSTOP),
 * double slot moves, read-write locks and semaphores during migration, interrupts while a slot's
 * keys are split, pool exhaustion, and thread leaks. Public API only.
 */
class Issue14SecondReviewProbesTest {

    // ------------------------------------------------------------------ shared helpers

    private static Cluster shared;

    static synchronized Cluster cluster() {
        if (shared == null) {
            try {
                shared = RedisTopologies.startCluster();
            } catch (Exception e) {
                throw new AssertionError("cannot start the Redis Cluster", e);
            }
        }
        return shared;
    }

    @AfterAll
    static void stopShared() {
        if (shared != null) shared.nodes().forEach(RedisProcess::kill);
    }

    static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    static long since(long t0) {
        return ms(System.nanoTime() - t0);
    }

    /** redis-cli with a time limit: never hangs on a SIGSTOPped server. */
    static String tcli(int port, long timeoutMs, String... args) {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (!p.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return "";
            }
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (Exception e) {
            return "";
        }
    }

    static int slotOf(String prefix, String name) {
        return JedisClusterCRC16.getSlot(prefix + ":{" + name + "}");
    }

    static String mutexChannel(String prefix, String name) {
        return prefix + ":{" + name + "}:released";
    }

    /** Threads of dlock, of Jedis (sentinel listeners, topology refresh pools) and commons-pool evictors. */
    static Set<Thread> relevantThreads() {
        Set<Thread> out = ConcurrentHashMap.newKeySet();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            String n = t.getName();
            if (n.startsWith("dlock-lost-") || n.equals("dlock-cleaner-1")) continue; // JVM-wide by design: the loss notifier pool (idles 60 s on JDK 17) and the handles' Cleaner
            if (t.isAlive() && (n.startsWith("dlock") || n.toLowerCase().contains("sentinel") || n.startsWith("pool-")
                    || n.toLowerCase().contains("commons-pool"))) out.add(t);
        }
        return out;
    }

    static void assertNoNewThreads(Set<Thread> before, long waitMs) throws InterruptedException {
        List<String> left = List.of();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        while (System.nanoTime() < end) {
            left = relevantThreads().stream().filter(t -> !before.contains(t)).map(Thread::getName).sorted().toList();
            if (left.isEmpty()) return;
            Thread.sleep(100);
        }
        fail("threads left behind after close: " + left);
    }

    static boolean awaitShardSubscriberOn(RedisProcess master, String channel, int seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            String[] reply = tcli(master.port(), 2000, "PUBSUB", "SHARDNUMSUB", channel).trim().split("\\s+");
            if (reply.length == 2 && reply[1].matches("[1-9][0-9]*")) return true;
            Thread.sleep(20);
        }
        return false;
    }

    static int numsub(RedisProcess server, String channel, boolean sharded) {
        String[] reply = tcli(server.port(), 2000, "PUBSUB", sharded ? "SHARDNUMSUB" : "NUMSUB", channel).trim().split("\\s+");
        return reply.length == 2 && reply[1].matches("[0-9]+") ? Integer.parseInt(reply[1]) : -1;
    }

    static void awaitNumsub(RedisProcess server, String channel, int atLeast, int seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            if (numsub(server, channel, false) >= atLeast) return;
            Thread.sleep(20);
        }
        fail("fewer than " + atLeast + " subscribers to " + channel + " on " + server.address());
    }

    /** A thread running one body, recording its result (or exception) and when it ended. */
    static final class Runner {
        final Thread thread;
        final CountDownLatch done = new CountDownLatch(1);
        volatile Object outcome;
        volatile long endedAt;
        volatile boolean interruptedAtEnd;

        interface Body {
            Object run() throws Exception;
        }

        Runner(String name, Body body) {
            thread = new Thread(() -> {
                try {
                    outcome = body.run();
                } catch (Throwable e) {
                    outcome = e;
                } finally {
                    interruptedAtEnd = Thread.currentThread().isInterrupted();
                    endedAt = System.nanoTime();
                    done.countDown();
                }
            }, name);
            thread.setDaemon(true);
            thread.start();
        }

        boolean await(long ms) throws InterruptedException {
            return done.await(ms, TimeUnit.MILLISECONDS);
        }

        boolean isDone() {
            return done.getCount() == 0;
        }
    }

    /** Counts holders of one lock as seen by the test: a grant that conflicts with a live (not lost) holder is a breach. */
    static final class Monitor {
        enum Kind { EXCLUSIVE, READ, WRITE, PERMIT }

        final int permits;
        final List<String> breaches = new CopyOnWriteArrayList<>();
        final Set<Hold> active = ConcurrentHashMap.newKeySet();
        final AtomicLong lastRelease = new AtomicLong();
        final List<Long> wakeLatencies = Collections.synchronizedList(new ArrayList<>());

        Monitor(int permits) {
            this.permits = permits;
        }

        final class Hold {
            final String who;
            final Kind kind;
            final LockHandle handle;

            Hold(String who, Kind kind, LockHandle handle) {
                this.who = who;
                this.kind = kind;
                this.handle = handle;
            }

            boolean live() {
                return !handle.lost().toCompletableFuture().isDone();
            }
        }

        synchronized Hold grant(String who, Kind kind, LockHandle h, boolean measure) {
            long rel = lastRelease.get();
            if (measure && rel != 0) wakeLatencies.add(since(rel));
            int permitsLive = 0;
            for (Hold o : active) {
                if (!o.live()) continue;
                boolean conflict = switch (kind) {
                    case EXCLUSIVE -> true;
                    case WRITE -> true;
                    case READ -> o.kind == Kind.WRITE;
                    case PERMIT -> false;
                };
                if (kind == Kind.PERMIT) permitsLive++;
                if (conflict) breaches.add(who + " granted " + kind + " while " + o.who + " held " + o.kind + " (lost() not completed)");
            }
            if (kind == Kind.PERMIT && permitsLive >= permits) breaches.add(who + " granted a permit while " + permitsLive + " of " + permits + " were live");
            Hold hold = new Hold(who, kind, h);
            active.add(hold);
            return hold;
        }

        /** Forget first, then release, so that the next grant is never counted against it. */
        void release(Hold hold) {
            active.remove(hold);
            lastRelease.set(System.nanoTime());
            hold.handle.release();
        }
    }

    static String describe(Object outcome) {
        if (outcome instanceof Throwable t) {
            StringBuilder b = new StringBuilder(t.getClass().getSimpleName() + ": " + t.getMessage());
            for (Throwable c = t.getCause(); c != null; c = c.getCause()) b.append(" <- ").append(c.getClass().getSimpleName());
            return b.toString();
        }
        return String.valueOf(outcome);
    }

    // ------------------------------------------------------------------ 1. Sentinel: master SIGSTOPped

    /**
     * During the stall: an interrupted waiter ends promptly with InterruptedException; close() of a
     * provider with a waiting thread and a pending acquireAsync returns within ~5 s and fails
     * both; its threads end.
     */
    @Test
    @Timeout(120)
    void p1b_sentinelMasterStalled_interruptEndsWaitPromptly_closeWithWaitersReturnsAndLeavesNoThreads() throws Exception {
        Set<Thread> before = relevantThreads();
        SentinelSet set = RedisTopologies.startSentinelSet();
        RedisProcess old = set.master();
        String url = set.url("lease=10s&prefix=p1b");
        String channel = mutexChannel("p1b", "m");
        try {
            LockProvider h = LockProvider.open(url);
            try {
                LockHandle held = h.lock("m").tryAcquire().orElseThrow();
                try (redis.clients.jedis.Jedis j = new redis.clients.jedis.Jedis("127.0.0.1", old.port())) {
                    // a later write confirmed by the replica: it has the holder's key too, so a failover
                    // during the stall keeps the lock held and the waiters waiting (replicas=0 may lose it)
                    j.set("p1b:sync", "1");
                    assertTrue(j.waitReplicas(1, 5_000) >= 1, "the replica did not confirm");
                }
                LockProvider p2 = LockProvider.open(url);
                Runner x = new Runner("p1b-x", () -> p2.lock("m").tryAcquire(Duration.ofSeconds(60)));
                Runner y = new Runner("p1b-y", () -> p2.lock("m").tryAcquire(Duration.ofSeconds(60)));
                CompletableFuture<LockHandle> z = p2.lock("m").acquireAsync(Duration.ofSeconds(60));
                awaitNumsub(old, channel, 1, 10);
                Thread.sleep(300);
                old.pause();
                Thread.sleep(1500); // mid-stall (sentinels mark it down after 1 s)

                long t0 = System.nanoTime();
                x.thread.interrupt();
                assertTrue(x.await(10_000), "the interrupted waiter did not end within 10 s");
                long interruptMs = ms(x.endedAt - t0);

                Thread.sleep(300);
                long c0 = System.nanoTime();
                p2.close();
                long closeMs = since(c0);
                assertTrue(y.await(5_000), "a waiter of the closed provider did not end");
                boolean zDone = false;
                try {
                    z.get(2, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    zDone = true;
                } catch (java.util.concurrent.TimeoutException e) {
                    zDone = false;
                }
                long subscribersLeft = 0;
                for (int i = 0; i < 20; i++) {
                    subscribersLeft = relevantThreads().stream().filter(t -> t.getName().startsWith("dlock-redis-subscriber")).count();
                    if (subscribersLeft == 0) break;
                    Thread.sleep(100);
                }
                String report = "interrupt -> " + describe(x.outcome) + " after " + interruptMs + " ms; close took " + closeMs + " ms; other waiter -> "
                        + describe(y.outcome) + "; acquireAsync failed: " + zDone + "; subscriber threads left: " + subscribersLeft;
                System.out.println("p1b: " + report);
                assertTrue(x.outcome instanceof InterruptedException, report);
                assertTrue(interruptMs < 5000, report); // an attempt blocked on the stalled master (2 s read timeout) plus its give-back (another 2 s) cannot be cut short
                assertTrue(y.outcome instanceof IllegalStateException, report);
                assertTrue(zDone, report);
                assertTrue(closeMs < 5500, report);
                assertEquals(0, subscribersLeft, report);
                assertFalse(held.isReleased());
            } finally {
                old.resume();
                h.close();
            }
        } finally {
            old.resume();
            set.sentinels().forEach(RedisProcess::kill);
            set.servers().forEach(RedisProcess::kill);
        }
        assertNoNewThreads(before, 6000);
    }

    // ------------------------------------------------------------------ 2. Cluster: slot moves twice

    /** A held mutex's slot moves A -> B -> C while a waiter waits: no grant while held, prompt wake on C. */
    @Test
    @Timeout(90)
    void p2a_clusterSlotMovesTwice_waiterNotGrantedWhileHeld_wokenPromptlyOnFinalMaster() throws Exception {
        Cluster cl = cluster();
        String prefix = "p2a";
        String name = "dbl";
        int slot = slotOf(prefix, name);
        String ch = mutexChannel(prefix, name);
        RedisProcess m0 = cl.masterOf(slot);
        List<RedisProcess> others = cl.masters().stream().filter(m -> m != m0).toList();
        String url = cl.url("lease=30s&prefix=" + prefix);
        List<String> notes = new ArrayList<>();
        try (LockProvider a = LockProvider.open(url); LockProvider b = LockProvider.open(url + "&retry=fixed:1m"); LockProvider c = LockProvider.open(url)) {
            Monitor mon = new Monitor(1);
            LockHandle held = a.lock(name).tryAcquire().orElseThrow();
            Monitor.Hold hh = mon.grant("holder", Monitor.Kind.EXCLUSIVE, held, false);
            Runner waiter = new Runner("p2a-waiter", () -> {
                Optional<LockHandle> got = b.lock(name).tryAcquire(Duration.ofSeconds(60));
                if (got.isEmpty()) return "timed out";
                Monitor.Hold hold = mon.grant("waiter", Monitor.Kind.EXCLUSIVE, got.get(), true);
                mon.release(hold);
                return "acquired";
            });
            assertTrue(awaitShardSubscriberOn(m0, ch, 10), "waiter never subscribed on the first master");
            AtomicBoolean moving = new AtomicBoolean(true);
            Thread contender = new Thread(() -> {
                while (moving.get()) {
                    try {
                        c.lock(name).tryAcquire().ifPresent(g -> mon.release(mon.grant("contender", Monitor.Kind.EXCLUSIVE, g, false)));
                    } catch (RuntimeException refusedMidMigration) {
                        // fine
                    }
                }
            }, "p2a-contender");
            contender.start();
            cl.migrate(slot, others.get(0));
            notes.add("subscribed on B: " + awaitShardSubscriberOn(others.get(0), ch, 10));
            cl.migrate(slot, others.get(1));
            notes.add("subscribed on C: " + awaitShardSubscriberOn(others.get(1), ch, 10));
            moving.set(false);
            contender.join();
            assertFalse(waiter.isDone(), () -> "the waiter ended while the lock was held: " + describe(waiter.outcome));
            held.extend(Duration.ofSeconds(30)); // renewal follows the slot
            mon.release(hh);
            assertTrue(waiter.await(20_000), "waiter not woken within 20 s after release (retry 1 min); notes " + notes);
            assertEquals("acquired", describe(waiter.outcome));
            assertTrue(mon.breaches.isEmpty(), "exclusion broke: " + mon.breaches);
            System.out.println("p2a: latency " + mon.wakeLatencies + " notes " + notes);
            assertTrue(mon.wakeLatencies.get(0) < 500, "woken " + mon.wakeLatencies + " ms after the release on the final master; notes " + notes);
        }
    }

    // ------------------------------------------------------------------ 3. Cluster: rw lock and semaphore during a migration

    @Test
    @Timeout(90)
    void p3_clusterReadWriteLockAndSemaphore_duringMigration_noOverGrant_waitersWoken() throws Exception {
        Cluster cl = cluster();
        String prefix = "p3";
        String rwName = "rw";
        String semName = "sem";
        int rwSlot = slotOf(prefix, rwName);
        int semSlot = slotOf(prefix, semName);
        String url = cl.url("lease=30s&prefix=" + prefix);
        String slowUrl = url + "&retry=fixed:1m";
        List<String> notes = new CopyOnWriteArrayList<>();
        try (LockProvider a = LockProvider.open(url); LockProvider b = LockProvider.open(slowUrl); LockProvider c = LockProvider.open(url);
                LockProvider d = LockProvider.open(slowUrl); LockProvider e = LockProvider.open(slowUrl)) {
            Monitor rw = new Monitor(1);
            Monitor sem = new Monitor(2);
            Monitor.Hold r1 = rw.grant("reader1", Monitor.Kind.READ, a.readWriteLock(rwName).readLock().tryAcquire().orElseThrow(), false);
            Monitor.Hold r2 = rw.grant("reader2", Monitor.Kind.READ, a.readWriteLock(rwName).readLock().tryAcquire().orElseThrow(), false);
            Runner writer = new Runner("p3-writer", () -> {
                Optional<LockHandle> got = b.readWriteLock(rwName).writeLock().tryAcquire(Duration.ofSeconds(60));
                if (got.isEmpty()) return "timed out";
                Monitor.Hold hold = rw.grant("writer", Monitor.Kind.WRITE, got.get(), true);
                Thread.sleep(200);
                rw.release(hold);
                return "acquired";
            });
            Monitor.Hold s1 = sem.grant("permit1", Monitor.Kind.PERMIT, a.semaphore(semName, 2).tryAcquire().orElseThrow(), false);
            Monitor.Hold s2 = sem.grant("permit2", Monitor.Kind.PERMIT, a.semaphore(semName, 2).tryAcquire().orElseThrow(), false);
            List<Runner> semWaiters = new ArrayList<>();
            int i = 0;
            for (LockProvider p : List.of(d, d, e)) {
                String who = "semWaiter" + (i++);
                semWaiters.add(new Runner("p3-" + who, () -> {
                    Optional<LockHandle> got = p.semaphore(semName, 2).tryAcquire(Duration.ofSeconds(60));
                    if (got.isEmpty()) return "timed out";
                    Monitor.Hold hold = sem.grant(who, Monitor.Kind.PERMIT, got.get(), true);
                    Thread.sleep(300);
                    sem.release(hold);
                    return "acquired";
                }));
            }
            assertTrue(awaitShardSubscriberOn(cl.masterOf(rwSlot), prefix + ":{" + rwName + "}:rw:released", 10));
            assertTrue(awaitShardSubscriberOn(cl.masterOf(semSlot), prefix + ":{" + semName + "}:sem:released", 10));
            Thread.sleep(200);
            AtomicBoolean moving = new AtomicBoolean(true);
            Thread contender = new Thread(() -> {
                while (moving.get()) {
                    try {
                        c.readWriteLock(rwName).readLock().tryAcquire().ifPresent(g -> {
                            notes.add("a new reader was admitted while a writer waited (writer preference)");
                            rw.release(rw.grant("contender-reader", Monitor.Kind.READ, g, false));
                        });
                        c.readWriteLock(rwName).writeLock().tryAcquire().ifPresent(g -> rw.release(rw.grant("contender-writer", Monitor.Kind.WRITE, g, false)));
                        c.semaphore(semName, 2).tryAcquire().ifPresent(g -> sem.release(sem.grant("contender-permit", Monitor.Kind.PERMIT, g, false)));
                    } catch (RuntimeException refused) {
                        // mid-migration refusals are fine
                    }
                }
            }, "p3-contender");
            contender.start();
            RedisProcess rwFrom = cl.masterOf(rwSlot);
            cl.migrate(rwSlot, cl.masters().stream().filter(m -> m != rwFrom).findFirst().orElseThrow());
            RedisProcess semFrom = cl.masterOf(semSlot);
            cl.migrate(semSlot, cl.masters().stream().filter(m -> m != semFrom).reduce((x, y) -> y).orElseThrow());
            Thread.sleep(300);
            moving.set(false);
            contender.join();
            notes.add("rw subscribed on new master: " + awaitShardSubscriberOn(cl.masterOf(rwSlot), prefix + ":{" + rwName + "}:rw:released", 10));
            notes.add("sem subscribed on new master: " + awaitShardSubscriberOn(cl.masterOf(semSlot), prefix + ":{" + semName + "}:sem:released", 10));
            assertFalse(writer.isDone(), () -> "writer ended while readers held: " + describe(writer.outcome));
            for (Runner r : semWaiters) assertFalse(r.isDone(), () -> "a semaphore waiter ended while all permits were taken: " + describe(r.outcome));

            rw.release(r1);
            rw.release(r2);
            assertTrue(writer.await(20_000), "writer not woken after readers released; notes " + notes);
            sem.release(s1);
            Thread.sleep(100);
            sem.release(s2);
            for (Runner r : semWaiters) assertTrue(r.await(30_000), "a semaphore waiter did not get a permit; notes " + notes);
            System.out.println("p3: writer latency " + rw.wakeLatencies + ", permit latencies " + sem.wakeLatencies + ", notes " + notes);
            assertEquals("acquired", describe(writer.outcome));
            for (Runner r : semWaiters) assertEquals("acquired", describe(r.outcome));
            assertTrue(rw.breaches.isEmpty(), "rw exclusion broke: " + rw.breaches);
            assertTrue(sem.breaches.isEmpty(), "semaphore over-granted: " + sem.breaches);
            for (long l : rw.wakeLatencies) assertTrue(l < 1000, "writer woken " + l + " ms after the last reader left (retry 1 min)");
            for (long l : sem.wakeLatencies) assertTrue(l < 1000, "permit waiters woken after " + sem.wakeLatencies + " ms (retry 1 min)");
        }
    }

    // ------------------------------------------------------------------ 4. Cluster: interrupt while the slot's keys are split

    @Test
    @Timeout(90)
    void p4_clusterInterruptWaiterWhileKeysSplitMidMigration_endsPromptly_andLeavesNothingHeld() throws Exception {
        Cluster cl = cluster();
        String prefix = "p4";
        String name = "x";
        int slot = slotOf(prefix, name);
        String url = cl.url("lease=30s&prefix=" + prefix);
        RedisProcess from = cl.masterOf(slot);
        RedisProcess to = cl.masters().stream().filter(m -> m != from).findFirst().orElseThrow();
        List<String> notes = new ArrayList<>();
        try (LockProvider a = LockProvider.open(url); LockProvider b = LockProvider.open(url); LockProvider b2 = LockProvider.open(url + "&retry=fixed:5s");
                LockProvider c = LockProvider.open(url); LockProvider d = LockProvider.open(url)) {
            LockHandle mutex = a.lock(name).tryAcquire().orElseThrow();
            LockHandle read = a.readWriteLock(name).readLock().tryAcquire().orElseThrow();
            Runner mutexWaiter = new Runner("p4-mutex-waiter", () -> b.lock(name).tryAcquire(Duration.ofSeconds(60)));
            Runner writeWaiter = new Runner("p4-write-waiter", () -> b2.readWriteLock(name).writeLock().tryAcquire(Duration.ofSeconds(60)));
            assertTrue(awaitShardSubscriberOn(from, mutexChannel(prefix, name), 10));
            assertTrue(awaitShardSubscriberOn(from, prefix + ":{" + name + "}:rw:released", 10));
            Thread.sleep(300); // the writer's waiting mark is set

            // split the slot's keys: the fences go to `to`, the holds stay on `from`
            String fromId = from.cli("CLUSTER", "MYID").trim();
            String toId = to.cli("CLUSTER", "MYID").trim();
            assertEquals("OK", to.cli("CLUSTER", "SETSLOT", Integer.toString(slot), "IMPORTING", fromId).trim());
            assertEquals("OK", from.cli("CLUSTER", "SETSLOT", Integer.toString(slot), "MIGRATING", toId).trim());
            String migrated = from.cli("MIGRATE", "127.0.0.1", Integer.toString(to.port()), "", "0", "5000", "KEYS", prefix + ":{" + name + "}:fence",
                    prefix + ":{" + name + "}:rw:fence").trim();
            assertEquals("OK", migrated);
            String probe = from.cli("EVAL", "return 1", "2", prefix + ":{" + name + "}", prefix + ":{" + name + "}:fence").trim();
            notes.add("a two-key script on the source now answers: " + probe);
            Thread.sleep(700); // the waiters retry into TRYAGAIN
            try {
                mutex.extend(Duration.ofSeconds(30));
                read.extend(Duration.ofSeconds(30));
                notes.add("holder extends fine while split");
            } catch (RuntimeException e) {
                notes.add("holder extend failed while split: " + e);
            }
            long tryAgainBefore = tryAgainCount(from);
            long t0 = System.nanoTime();
            mutexWaiter.thread.interrupt();
            writeWaiter.thread.interrupt();
            assertTrue(mutexWaiter.await(15_000), "the interrupted mutex waiter did not end within 15 s");
            assertTrue(writeWaiter.await(15_000), "the interrupted write waiter did not end within 15 s");
            long mutexMs = ms(mutexWaiter.endedAt - t0);
            long writeMs = ms(writeWaiter.endedAt - t0);
            long tryAgains = tryAgainCount(from) - tryAgainBefore;
            notes.add("TRYAGAIN replies on the source between the interrupt and the waiters' end: " + tryAgains);

            cl.migrate(slot, to); // finish the migration
            Optional<LockHandle> reader = c.readWriteLock(name).readLock().tryAcquire();
            notes.add("new reader right after the interrupted writer: " + reader.isPresent());
            reader.ifPresent(LockHandle::release);
            mutex.release();
            read.release();
            Optional<LockHandle> m2 = d.lock(name).tryAcquire();
            Optional<LockHandle> w2 = d.readWriteLock(name).writeLock().tryAcquire();
            m2.ifPresent(LockHandle::release);
            w2.ifPresent(LockHandle::release);
            String report = "mutex waiter -> " + describe(mutexWaiter.outcome) + " after " + mutexMs + " ms; write waiter -> " + describe(writeWaiter.outcome)
                    + " after " + writeMs + " ms; mutex free after: " + m2.isPresent() + "; write lock free after: " + w2.isPresent() + "; notes " + notes;
            System.out.println("p4: " + report);
            assertTrue(mutexWaiter.outcome instanceof InterruptedException, report);
            assertTrue(writeWaiter.outcome instanceof InterruptedException, report);
            assertTrue(mutexMs < 3000 && writeMs < 3000, report);
            assertTrue(reader.isPresent(), "the interrupted writer's waiting mark still blocks readers: " + report);
            assertTrue(m2.isPresent() && w2.isPresent(), report);
        }
    }

    /**
     * While a slot's keys are split, a waiter's attempt retries TRYAGAIN every 5 ms until its call
     * timeout. Once the waiter is interrupted, that retry must not turn into a busy loop hammering
     * the master.
     */
    @Test
    @Timeout(60)
    void p4b_clusterInterruptedWaiterWhileKeysSplit_doesNotBusyLoopTryAgainOnTheMaster() throws Exception {
        Cluster cl = cluster();
        String prefix = "p4b";
        String name = "y";
        int slot = slotOf(prefix, name);
        String url = cl.url("lease=30s&prefix=" + prefix);
        RedisProcess from = cl.masterOf(slot);
        RedisProcess to = cl.masters().stream().filter(m -> m != from).findFirst().orElseThrow();
        try (LockProvider a = LockProvider.open(url); LockProvider b = LockProvider.open(url)) {
            LockHandle mutex = a.lock(name).tryAcquire().orElseThrow();
            Runner waiter = new Runner("p4b-waiter", () -> b.lock(name).tryAcquire(Duration.ofSeconds(60)));
            assertTrue(awaitShardSubscriberOn(from, mutexChannel(prefix, name), 10));
            String fromId = from.cli("CLUSTER", "MYID").trim();
            String toId = to.cli("CLUSTER", "MYID").trim();
            assertEquals("OK", to.cli("CLUSTER", "SETSLOT", Integer.toString(slot), "IMPORTING", fromId).trim());
            assertEquals("OK", from.cli("CLUSTER", "SETSLOT", Integer.toString(slot), "MIGRATING", toId).trim());
            assertEquals("OK", from.cli("MIGRATE", "127.0.0.1", Integer.toString(to.port()), "", "0", "5000", "KEYS", prefix + ":{" + name + "}:fence").trim());
            Thread.sleep(300);
            long c0 = tryAgainCount(from);
            long p0 = System.nanoTime();
            Thread.sleep(1500);
            double before = (tryAgainCount(from) - c0) * 1000.0 / since(p0);
            long c1 = tryAgainCount(from);
            long t0 = System.nanoTime();
            waiter.thread.interrupt();
            assertTrue(waiter.await(15_000));
            long spanMs = Math.max(1, ms(waiter.endedAt - t0));
            double after = (tryAgainCount(from) - c1) * 1000.0 / spanMs;
            cl.migrate(slot, to);
            mutex.release();
            String report = String.format("TRYAGAIN replies/s on the source: %.0f while waiting, %.0f between the interrupt and the waiter's end (%d ms, %s)",
                    before, after, spanMs, describe(waiter.outcome));
            System.out.println("p4b: " + report);
            assertTrue(waiter.outcome instanceof InterruptedException, report);
            assertTrue(after < 10 * before + 500, "the interrupted waiter busy-loops on TRYAGAIN: " + report);
        }
    }

    static long tryAgainCount(RedisProcess server) {
        for (String line : tcli(server.port(), 2000, "INFO", "errorstats").split("\r?\n")) {
            if (line.startsWith("errorstat_TRYAGAIN:count=")) return Long.parseLong(line.substring("errorstat_TRYAGAIN:count=".length()).trim());
        }
        return 0;
    }

    // ------------------------------------------------------------------ 5. anything else

    /**
     * poolSize=1: a waiter interrupted while it waits for the pooled connection (held by a
     * renewal on a slow master) must end with InterruptedException, or at least keep its interrupt.
     */
    @Test
    @Timeout(60)
    void p5a_clusterInterruptWhileWaitingForAPooledConnection_endsWithInterruptedException() throws Exception {
        Cluster cl = cluster();
        String prefix = "p5a";
        RedisProcess m = cl.masterOf(slotOf(prefix, "n0"));
        List<String> names = new ArrayList<>();
        for (int i = 0; names.size() < 2; i++) if (cl.masterOf(slotOf(prefix, "n" + i)) == m) names.add("n" + i);
        String url = cl.url("lease=30s&prefix=" + prefix);
        try (LockProvider a = LockProvider.open(url + "&poolSize=1"); LockProvider q = LockProvider.open(url)) {
            LockHandle mine = a.lock(names.get(0)).tryAcquire().orElseThrow();
            LockHandle theirs = q.lock(names.get(1)).tryAcquire().orElseThrow();
            tcli(m.port(), 2000, "CLIENT", "PAUSE", "3000", "ALL");
            Runner extender = new Runner("p5a-extend", () -> {
                mine.extend(Duration.ofSeconds(30));
                return "extended";
            });
            Thread.sleep(300);
            Runner waiter = new Runner("p5a-waiter", () -> a.lock(names.get(1)).tryAcquire(Duration.ofSeconds(20)));
            Thread.sleep(400);
            long t0 = System.nanoTime();
            waiter.thread.interrupt();
            assertTrue(waiter.await(10_000));
            extender.await(10_000);
            Thread.sleep(2600); // the pause ends
            String report = "waiter -> " + describe(waiter.outcome) + " after " + ms(waiter.endedAt - t0) + " ms, interrupt status kept: "
                    + waiter.interruptedAtEnd + "; extend -> " + describe(extender.outcome);
            System.out.println("p5a: " + report);
            theirs.release();
            assertTrue(waiter.outcome instanceof InterruptedException || waiter.interruptedAtEnd, report);
        }
    }
}
