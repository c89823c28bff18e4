package io.github.dlock.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.RetryStrategy;
import io.github.dlock.testkit.ChildJvm;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adversarial review probes for issue 12 items 10 (file turns between processes) and 11 (loss
 * wakes local waiters), through the public API and child JVMs ({@link TurnsProbeChild}).
 */
class TurnsReviewProbesTest {
    private static final Duration CHILD = Duration.ofSeconds(60);

    @TempDir
    Path temp;

    private Path dir() throws Exception {
        return Files.createDirectories(temp.resolve("locks")).toRealPath();
    }

    /**
     * A process waiting alone for a lock held by another process must keep its retry strategy's
     * backoff: with exponential 1 ms..50 ms (jitter 0.5) and maxAttempts 15 the 14 pauses add up
     * to at least 231 ms, so giving up must take at least that long. The one "poller" per JVM
     * pauses only the first pause while its JVM is first or second in the queue, which a lone
     * waiter always is.
     */
    @Test
    void aLoneWaiter_keepsItsRetryStrategysBackoff() throws Exception {
        Path dir = dir();
        RetryStrategy limited = RetryStrategy.exponential(Duration.ofMillis(1), Duration.ofMillis(50)).withMaxAttempts(15);
        try (ChildJvm holder = ChildJvm.start("hold", dir.toUri().toString(), "backoff", "exclusive");
                LockProvider locks = FileLockProvider.builder().directory(dir).retryStrategy(limited).build();
                LockProvider plain = FileLockProvider.builder().directory(dir).build()) {
            holder.awaitLine("HELD", CHILD);
            long start = System.nanoTime();
            Optional<LockHandle> h = locks.lock("backoff").tryAcquire(Duration.ofSeconds(10));
            long gaveUpMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(h.isEmpty());
            // what a long wait costs: CPU of one waiting thread over 3 s, default strategy (printed only)
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long[] cpu = new long[1];
            Thread t = new Thread(() -> {
                long before = mx.getCurrentThreadCpuTime();
                try {
                    plain.lock("backoff").tryAcquire(Duration.ofSeconds(3));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                cpu[0] = mx.getCurrentThreadCpuTime() - before;
            });
            t.start();
            t.join();
            System.out.printf("PROBE backoff: maxAttempts=15 exponential 1..50ms gave up after %d ms (strategy: >= 231 ms); "
                    + "a 3 s wait with the default strategy used %d ms CPU%n", gaveUpMs, TimeUnit.NANOSECONDS.toMillis(cpu[0]));
            assertTrue(gaveUpMs >= 200, "the waiter ignored its backoff and gave up after " + gaveUpMs + " ms (14 pauses of"
                    + " exponential 1..50 ms with jitter 0.5 take at least 231 ms)");
        }
    }

    /**
     * A process stopped (SIGSTOP, a debugger, a frozen container) for the microseconds it holds
     * the file's counter lock must not hang other processes' waits past their deadlines. Here a
     * plain process holds that byte (2^41) as such a process would; another holds the mutex, so
     * this one's first attempt fails and it starts waiting: joining the queue draws a ticket under
     * the counter lock.
     */
    @Test
    void counterLockHeldByAStoppedProcess_doesNotHangAWaitPastItsDeadline() throws Exception {
        Path dir = dir();
        Path file = dir.resolve(LockFileNames.encode("stall") + FileMutex.SUFFIX);
        try (ChildJvm holder = ChildJvm.start("hold", dir.toUri().toString(), "stall", "exclusive")) {
            holder.awaitLine("HELD", CHILD);
            try (ChildJvm counter = ChildJvm.startMain(TurnsProbeChild.class, "raw", file.toString(), "lock:" + (1L << 41));
                    LockProvider locks = FileLockProvider.builder().directory(dir).build()) {
                counter.awaitLine("LOCKED", CHILD);
                Thread[] waiter = new Thread[1];
                CompletableFuture<String> outcome = CompletableFuture.supplyAsync(() -> {
                    waiter[0] = Thread.currentThread();
                    try {
                        return locks.lock("stall").tryAcquire(Duration.ofSeconds(2)).map(h -> "acquired").orElse("timed out");
                    } catch (Exception e) {
                        return e.toString();
                    }
                });
                String result;
                try {
                    result = outcome.get(10, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    waiter[0].interrupt();
                    String afterInterrupt = poll(outcome, 3);
                    locks.close();
                    String afterClose = poll(outcome, 3);
                    String where = java.util.Arrays.stream(waiter[0].getStackTrace())
                            .filter(f -> f.getClassName().startsWith("io.github.dlock") && !f.getClassName().contains("Probe"))
                            .limit(6).map(f -> f.getClassName().replaceAll(".*\\.", "") + "." + f.getMethodName() + ":" + f.getLineNumber())
                            .collect(java.util.stream.Collectors.joining(" <- "));
                    counter.kill(); // lets it go
                    String finally_ = poll(outcome, 10);
                    result = "still waiting 10 s after a 2 s deadline; after interrupt: " + afterInterrupt + "; after close(): " + afterClose
                            + "; at " + where + "; once the counter lock went: " + finally_;
                }
                System.out.println("PROBE counter-lock stall: " + result);
                assertTrue(result.equals("timed out") || result.equals("acquired"), result);
            }
        }
    }

    /**
     * As above, for the fencing token a semaphore permit draws under the counter lock: a free
     * permit whose token cannot be drawn by the deadline is given back and the wait times out,
     * and an interrupt ends such a wait.
     */
    @Test
    void counterLockHeldByAStoppedProcess_doesNotHangASemaphorePastItsDeadline() throws Exception {
        Path dir = dir();
        Path file = dir.resolve(LockFileNames.encode("stallsem") + FileSemaphore.SUFFIX);
        try (ChildJvm counter = ChildJvm.startMain(TurnsProbeChild.class, "raw", file.toString(), "lock:" + (1L << 41));
                LockProvider locks = FileLockProvider.builder().directory(dir).build()) {
            counter.awaitLine("LOCKED", CHILD);
            CompletableFuture<String> timed = CompletableFuture.supplyAsync(() -> {
                try {
                    return locks.semaphore("stallsem", 2).tryAcquire(Duration.ofSeconds(1)).map(h -> "acquired").orElse("timed out");
                } catch (Exception e) {
                    return e.toString();
                }
            });
            assertEquals("timed out", poll(timed, 10), "a free permit's wait past its 1 s deadline");
            Thread[] waiter = new Thread[1];
            java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
            CompletableFuture<String> unbounded = CompletableFuture.supplyAsync(() -> {
                waiter[0] = Thread.currentThread();
                started.countDown();
                try {
                    return locks.semaphore("stallsem", 2).acquire().toString();
                } catch (InterruptedException e) {
                    return "interrupted";
                } catch (Exception e) {
                    return e.toString();
                }
            });
            started.await();
            Thread.sleep(200); // into the wait for the counter lock (any point of the acquire would do)
            waiter[0].interrupt();
            assertEquals("interrupted", poll(unbounded, 10), "an interrupted acquire() of a free permit");
            assertEquals(java.util.List.of(), locks.holders("stallsem"), "a permit stayed held");
        }
    }

    private static String poll(CompletableFuture<String> f, int seconds) throws Exception {
        try {
            return f.get(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            return "still waiting";
        }
    }

    /**
     * A waiting process that stopped (SIGSTOP) keeps a live place at the front of the queue.
     * A process that tries now and then (tryAcquire() every 7 s: a cron-like job; or any fresh
     * JVM that tries once) must still get the free lock at some point: the yield limit is meant
     * to bound how long a stopped process holds others up.
     */
    @Test
    void aStoppedWaiter_doesNotMakeEveryOccasionalTryAcquireFail() throws Exception {
        Path dir = dir();
        String url = dir.toUri().toString();
        Path file = dir.resolve("idle.lock");
        try (LockProvider locks = FileLockProvider.builder().directory(dir).build();
                ChildJvm holder = ChildJvm.start("hold", url, "idle", "exclusive")) {
            holder.awaitLine("HELD", CHILD);
            try (ChildJvm waiter = ChildJvm.start("hold", url, "idle", "exclusive")) {
                long deadline = System.nanoTime() + CHILD.toNanos();
                while (queuedTickets(file) == 0) {
                    assertTrue(System.nanoTime() < deadline, "the waiter never queued:\n" + waiter.output());
                    Thread.sleep(10);
                }
                signal("STOP", waiter.pid());
                try {
                    holder.closeInput();
                    holder.awaitLine("RELEASED", CHILD);
                    List<String> attempts = new ArrayList<>();
                    for (int i = 0; i < 3; i++) {
                        if (i > 0) Thread.sleep(7000); // past the table's 5 s idle close
                        String holders = locks.holders("idle").toString();
                        Optional<LockHandle> h = locks.lock("idle").tryAcquire();
                        attempts.add((h.isPresent() ? "GOT" : "BUSY") + " (holders " + holders + ")");
                        h.ifPresent(LockHandle::release);
                    }
                    try (ChildJvm fresh = ChildJvm.startMain(TurnsProbeChild.class, "tryonce", url, "idle")) {
                        attempts.add("fresh JVM: " + fresh.awaitLine("", CHILD));
                    }
                    System.out.println("PROBE stopped waiter vs occasional tryAcquire(): " + attempts);
                    assertTrue(attempts.stream().anyMatch(a -> a.startsWith("GOT")),
                            "a free lock was refused to every occasional tryAcquire() while a stopped process waited: " + attempts);
                } finally {
                    signal("CONT", waiter.pid());
                }
                waiter.awaitLine("HELD", CHILD);
            }
        }
    }

    /**
     * The queue full (509 live places, held by a process that never polls): a process without a
     * place still gets a free lock within about the yield limit, and a process with a slow
     * strategy too (printed).
     */
    @Test
    void aFullQueue_stillLetsAWaiterIn() throws Exception {
        Path dir = dir();
        Path file = dir.resolve("full.lock");
        try (ChildJvm filler = ChildJvm.startMain(TurnsProbeChild.class, "raw", file.toString(), "places:0:" + LockFile.MAX_PLACES + ":1");
                LockProvider locks = FileLockProvider.builder().directory(dir).build()) {
            filler.awaitLine("LOCKED", CHILD);
            try (ChildJvm holder = ChildJvm.start("hold", dir.toUri().toString(), "full", "exclusive")) {
                holder.awaitLine("HELD", CHILD);
                CompletableFuture<Optional<LockHandle>> wait = CompletableFuture.supplyAsync(() -> {
                    try {
                        return locks.lock("full").tryAcquire(Duration.ofSeconds(30));
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                Thread.sleep(300);
                long start = System.nanoTime();
                holder.closeInput();
                Optional<LockHandle> h = wait.get(40, TimeUnit.SECONDS);
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                System.out.println("PROBE full queue: waiter " + (h.isPresent() ? "got the lock " + ms + " ms after the release" : "timed out"));
                assertTrue(h.isPresent(), "a full queue kept a free lock from a waiter for 30 s");
                h.get().release();
            }
        }
    }

    /**
     * Exclusion under chaos: three processes of three threads each on a mutex, and three on a
     * 2-permit semaphore, using acquire, tryAcquire, short timeouts, cancel(true) and a provider
     * closed while waiting; this JVM kills (-9) and restarts them, and stops/continues them (some
     * past the yield limit). Every holder counts the markers of live holders.
     */
    @Test
    void exclusion_holdsUnderKillsStopsCancelsAndCloses() throws Exception {
        Path dir = dir();
        String url = dir.toUri().toString();
        long runMs = 20_000;
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(runMs);
        List<String[]> kinds = List.of(new String[] {"cx", "lock"}, new String[] {"cs", "sem:2"});
        List<ChildJvm> all = new ArrayList<>();
        List<ChildJvm> running = new ArrayList<>();
        List<String> events = new ArrayList<>();
        try {
            for (String[] k : kinds) {
                for (int i = 0; i < 3; i++) {
                    ChildJvm c = churn(url, k, runMs);
                    all.add(c);
                    running.add(c);
                }
            }
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            int kills = 0;
            int stops = 0;
            while (System.nanoTime() < end - TimeUnit.SECONDS.toNanos(4)) {
                Thread.sleep(300 + rnd.nextInt(500));
                int idx = rnd.nextInt(running.size());
                ChildJvm victim = running.get(idx);
                String[] kind = kindOf.get(victim);
                if (rnd.nextBoolean()) {
                    Files.createFile(temp.resolve("markers-" + kind[0]).resolveSibling("dead-" + victim.pid()));
                    victim.kill();
                    kills++;
                    long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
                    ChildJvm fresh = churn(url, kind, Math.max(1000, left - 2000));
                    all.add(fresh);
                    running.set(idx, fresh);
                } else {
                    signal("STOP", victim.pid());
                    Thread.sleep(rnd.nextInt(2500));
                    signal("CONT", victim.pid());
                    stops++;
                }
            }
            events.add("kills=" + kills + " stops=" + stops);
            List<String> results = new ArrayList<>();
            for (ChildJvm c : running) results.add(c.awaitLine("DONE", Duration.ofSeconds(90)));
            events.add(results.toString());
            StringBuilder bad = new StringBuilder();
            for (ChildJvm c : all) {
                for (String line : c.output().split("\n")) {
                    if (line.startsWith("VIOLATION") || line.startsWith("ERROR") || line.contains("Exception")) bad.append(c.pid()).append(": ").append(line).append('\n');
                }
            }
            System.out.println("PROBE chaos: " + events + (bad.length() > 0 ? "\n" + bad : ""));
            assertEquals("", bad.toString());
        } finally {
            for (ChildJvm c : all) {
                try {
                    signal("CONT", c.pid());
                } catch (Throwable ignored) {
                    // gone
                }
                c.close();
            }
        }
    }

    private final java.util.Map<ChildJvm, String[]> kindOf = new java.util.concurrent.ConcurrentHashMap<>();

    private ChildJvm churn(String url, String[] kind, long ms) throws Exception {
        ChildJvm c = ChildJvm.startMain(TurnsProbeChild.class, "churn", url, kind[0], kind[1], "3",
                temp.resolve("markers-" + kind[0]).toString(), Long.toString(ms));
        kindOf.put(c, kind);
        c.awaitLine("READY", CHILD);
        return c;
    }

    /** Uncontended single-thread acquire+release rate of the file mutex and a 3-permit semaphore (printed). */
    @Test
    void uncontendedRate_printed() throws Exception {
        Path dir = dir();
        try (LockProvider locks = FileLockProvider.builder().directory(dir).build()) {
            for (int round = 0; round < 2; round++) {
                for (String kind : List.of("lock", "sem")) {
                    io.github.dlock.DistributedLock l = kind.equals("lock") ? locks.lock("rate") : locks.semaphore("rate", 3);
                    int n = 20_000;
                    for (int i = 0; i < 2000; i++) l.acquire().release(); // warm-up
                    long start = System.nanoTime();
                    for (int i = 0; i < n; i++) l.acquire().release();
                    double perSec = n / ((System.nanoTime() - start) / 1e9);
                    System.out.printf("PROBE rate %s round %d: %.0f acquire+release/s%n", kind, round, perSec);
                }
            }
        }
    }

    static long queuedTickets(Path file) throws Exception {
        LockFile f = LockFileTable.JVM_WIDE.acquire(file); // never a second channel: closing it would drop this JVM's locks
        try {
            return java.util.Arrays.stream(f.readPlaces(LockFile.placesScratch())).filter(t -> t != 0).count();
        } finally {
            LockFileTable.JVM_WIDE.release(f);
        }
    }

    static void signal(String signal, long pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor());
    }
}
