package io.github.dlock.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockHolder;
import io.github.dlock.LockMode;
import io.github.dlock.LockProvider;
import io.github.dlock.LockSet;
import io.github.dlock.LockTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Mutual exclusion, waiting, timeouts, interruption, release and fencing of {@code lock(name)}. */
public abstract class MutexConformance extends ConformanceTestBase {

    @Test
    void exclusion_sixteenThreadsIncrementingAPlainCounter_loseNoUpdate() throws Exception {
        DistributedLock lock = provider.lock(name("counter"));
        int threads = 16;
        int perThread = 50;
        int[] counter = {0}; // deliberately not atomic: only the lock protects it
        runConcurrently(threads, () -> {
            for (int i = 0; i < perThread; i++) {
                try (LockHandle h = lock.acquire(PATIENCE)) {
                    int read = counter[0];
                    Thread.yield();
                    counter[0] = read + 1;
                }
            }
            return null;
        });
        assertEquals(threads * perThread, counter[0]);
    }

    @Test
    void exclusion_holdsAcrossProvidersOfTheSameStore() throws Exception {
        LockProvider other = openAnotherProvider();
        try (LockHandle h = provider.lock(name("x")).acquire(PATIENCE)) {
            assertEquals(Optional.empty(), other.lock(name("x")).tryAcquire());
        }
        other.lock(name("x")).tryAcquire().orElseThrow().release();
    }

    @Test
    void tryAcquire_whileHeld_returnsEmpty() {
        DistributedLock lock = provider.lock(name("x"));
        try (LockHandle h = lock.tryAcquire().orElseThrow()) {
            assertEquals(Optional.empty(), lock.tryAcquire());
        }
        assertTrue(lock.tryAcquire().map(h -> { h.release(); return true; }).orElse(false));
    }

    @Test
    void locks_areNotReentrant_evenOnTheHoldingThread() throws Exception {
        DistributedLock lock = provider.lock(name("x"));
        try (LockHandle h = lock.acquire()) {
            assertEquals(Optional.empty(), lock.tryAcquire(Duration.ofMillis(100)));
        }
    }

    @Test
    void differentNames_areIndependent() throws Exception {
        try (LockHandle a = provider.lock(name("a")).acquire(PATIENCE);
                LockHandle b = provider.lock(name("b")).acquire(PATIENCE)) {
            assertFalse(a.isReleased() || b.isReleased());
        }
    }

    @Test
    void acquireWithTimeout_whileHeld_throwsLockTimeoutExceptionAfterRoughlyTheTimeout() throws Exception {
        DistributedLock lock = provider.lock(name("x"));
        try (LockHandle h = lock.acquire()) {
            long start = System.nanoTime();
            LockTimeoutException e = assertThrows(LockTimeoutException.class, () -> lock.acquire(Duration.ofMillis(300)));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(tookMs >= 250, "gave up too early: " + tookMs + " ms");
            assertTrue(tookMs < 15_000, "gave up far too late: " + tookMs + " ms");
            assertTrue(e.getMessage().contains(name("x").substring(0, 40)), "message should name the lock: " + e.getMessage());
        }
    }

    @Test
    void tryAcquireWithTimeout_whileHeld_returnsEmpty() throws Exception {
        DistributedLock lock = provider.lock(name("x"));
        try (LockHandle h = lock.acquire()) {
            assertEquals(Optional.empty(), lock.tryAcquire(Duration.ofMillis(200)));
        }
    }

    @Test
    void acquire_waitsForRelease_andThenSucceeds() throws Exception {
        DistributedLock lock = provider.lock(name("x"));
        LockHandle first = lock.acquire();
        CompletableFuture<LockHandle> waiter = lock.acquireAsync(PATIENCE);
        assertThrows(TimeoutException.class, () -> waiter.get(300, TimeUnit.MILLISECONDS), "acquired while held");
        first.release();
        LockHandle second = waiter.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertTrue(second.fencingToken() > first.fencingToken());
        second.release();
    }

    @Test
    void interrupt_ofAWaitingThread_throwsInterruptedExceptionAndLeavesNothingHeld() throws Exception {
        DistributedLock lock = provider.lock(name("x"));
        LockHandle held = lock.acquire();
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        Thread waiter = new Thread(() -> {
            started.countDown();
            try {
                lock.acquire(PATIENCE).release();
                outcome.set(new AssertionError("acquired while held"));
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        waiter.start();
        started.await();
        waiter.join(300); // the interrupt must land in the wait, not before it starts
        assertTrue(waiter.isAlive(), () -> "the waiter did not wait: " + outcome.get());
        waiter.interrupt();
        waiter.join(PATIENCE.toMillis());
        assertFalse(waiter.isAlive(), "waiter ignored the interrupt");
        assertInstanceOf(InterruptedException.class, outcome.get(), () -> {
            java.io.StringWriter trace = new java.io.StringWriter();
            outcome.get().printStackTrace(new java.io.PrintWriter(trace));
            return trace.toString();
        });
        held.release();
        lock.tryAcquire(PATIENCE).orElseThrow().release();
    }

    @Test
    void interrupt_ofTheHoldingThread_doesNotDropTheLock() throws Exception {
        DistributedLock lock = provider.lock(name("x"));
        LockHandle held = lock.acquire();
        Thread.currentThread().interrupt();
        try {
            // Work on the lock's store from the interrupted thread: I/O must not drop the lock.
            assertEquals(1, provider.holders(name("x")).size());
            assertEquals(Optional.empty(), lock.tryAcquire());
            assertTrue(Thread.currentThread().isInterrupted(), "interrupt status must be preserved");
        } finally {
            Thread.interrupted();
        }
        assertFalse(held.isLost());
        assertEquals(Optional.empty(), openAnotherProvider().lock(name("x")).tryAcquire(Duration.ofMillis(100)));
        held.release();
    }

    @Test
    void release_isIdempotent_andCloseReleases() throws Exception {
        DistributedLock lock = provider.lock(name("x"));
        LockHandle h = lock.acquire();
        h.release();
        h.release();
        h.close();
        assertTrue(h.isReleased());
        assertFalse(h.isLost());
        LockHandle again = lock.tryAcquire().orElseThrow();
        h.release(); // a stale handle's release must not free the new holder's lock
        assertEquals(Optional.empty(), lock.tryAcquire());
        again.close();
    }

    @Test
    void release_fromAnotherThread_freesTheLock() throws Exception {
        DistributedLock lock = provider.lock(name("x"));
        LockHandle h = lock.acquire();
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            other.submit(h::release).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        } finally {
            other.shutdownNow();
        }
        lock.tryAcquire().orElseThrow().release();
    }

    @Test
    void acquireAsync_cancelled_stopsWaitingAndHoldsNothing() throws Exception {
        DistributedLock lock = provider.lock(name("x"));
        LockHandle held = lock.acquire();
        ExecutorService one = Executors.newSingleThreadExecutor();
        try {
            CompletableFuture<LockHandle> waiter = lock.acquireAsync(PATIENCE, one);
            assertThrows(TimeoutException.class, () -> waiter.get(300, TimeUnit.MILLISECONDS), "acquired while held"); // now waiting
            assertTrue(waiter.cancel(true));
            // The wait must end at once, while the lock is still held: the executor's one thread is free again.
            one.submit(() -> null).get(PATIENCE.toSeconds() / 2, TimeUnit.SECONDS); // well before the acquire's own timeout
            held.release();
            assertThrows(CancellationException.class, waiter::join);
            lock.tryAcquire(PATIENCE).orElseThrow().release();
        } finally {
            one.shutdownNow();
        }
    }

    @Test
    void acquireAsync_timesOut_withLockTimeoutException() throws Exception {
        DistributedLock lock = provider.lock(name("x"));
        try (LockHandle held = lock.acquire()) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> lock.acquireAsync(Duration.ofMillis(100)).get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
            assertInstanceOf(LockTimeoutException.class, e.getCause());
        }
    }

    @Test
    void fencingToken_increasesAcrossSuccessiveHolders_onManyThreads() throws Exception {
        DistributedLock lock = provider.lock(name("fenced"));
        long[] last = {0};
        AtomicInteger violations = new AtomicInteger();
        runConcurrently(8, () -> {
            for (int i = 0; i < 25; i++) {
                try (LockHandle h = lock.acquire(PATIENCE)) {
                    if (h.fencingToken() <= last[0]) violations.incrementAndGet();
                    last[0] = h.fencingToken();
                }
            }
            return null;
        });
        assertEquals(0, violations.get(), "tokens went backwards or repeated");
        assertTrue(last[0] >= 200, "expected at least 200 tokens, last was " + last[0]);
    }

    @Test
    void fencingToken_increasesAcrossProviders() throws Exception {
        long first;
        try (LockHandle h = provider.lock(name("x")).acquire()) {
            first = h.fencingToken();
        }
        try (LockHandle h = openAnotherProvider().lock(name("x")).acquire()) {
            assertTrue(h.fencingToken() > first, h.fencingToken() + " <= " + first);
        }
    }

    @Test
    void holders_reportTheCurrentOwner_andNobodyAfterRelease() throws Exception {
        String n = name("x");
        assertNoHoldersSoon(n);
        try (LockHandle h = provider.lock(n).acquire()) {
            List<LockHolder> holders = openAnotherProvider().holders(n);
            assertEquals(1, holders.size(), holders.toString());
            LockHolder holder = holders.get(0);
            assertEquals(LockMode.EXCLUSIVE, holder.mode());
            assertFalse(holder.ownerId().isBlank());
            holder.pid().ifPresent(pid -> assertEquals(ProcessHandle.current().pid(), pid));
        }
        assertNoHoldersSoon(n);
    }

    @Test
    void extend_followsTheBackendsLeaseCapability() throws Exception {
        try (LockHandle h = provider.lock(name("x")).acquire()) {
            if (backend().hasLeases()) {
                h.extend(Duration.ofSeconds(30));
                assertFalse(h.isLost());
            } else {
                assertThrows(UnsupportedOperationException.class, () -> h.extend(Duration.ofSeconds(30)));
            }
            assertThrows(IllegalArgumentException.class, () -> h.extend(Duration.ZERO));
        }
    }

    @Test
    void remainingLease_followsTheBackendsLeaseCapability() throws Exception {
        LockHandle h = provider.lock(name("x")).acquire();
        if (backend().hasLeases()) {
            Duration left = h.remainingLease().orElseThrow(() -> new AssertionError("a leased backend must report the lease"));
            assertTrue(left.compareTo(Duration.ZERO) > 0, "lease left: " + left);
            h.extend(left.plusMinutes(1));
            assertTrue(h.remainingLease().orElseThrow().compareTo(left.plusSeconds(30)) > 0, "extend must lengthen the lease");
            h.release();
            assertEquals(Optional.of(Duration.ZERO), h.remainingLease());
        } else {
            assertEquals(Optional.empty(), h.remainingLease());
            h.release();
        }
    }

    @Test
    void closingTheProvider_releasesItsLocks() throws Exception {
        LockProvider other = openAnotherProvider();
        LockHandle h = other.lock(name("x")).acquire();
        other.close();
        assertTrue(h.isReleased());
        provider.lock(name("x")).tryAcquire(PATIENCE).orElseThrow().release();
        assertThrows(IllegalStateException.class, () -> other.lock(name("y")));
    }

    @Test
    void closingTheProvider_wakesEveryWaiterWithinASecond_withOneClearException() throws Exception {
        LockProvider closing = openAnotherProvider();
        LockHandle heldLock = provider.lock(name("x")).acquire(PATIENCE);
        LockHandle heldPermit = provider.semaphore(name("sem"), 1).acquire(PATIENCE);
        List<DistributedLock> waitedOn = List.of(closing.lock(name("x")), closing.lock(name("x")), closing.semaphore(name("sem"), 1));
        List<Thread> waiters = new ArrayList<>();
        List<AtomicReference<Throwable>> outcomes = new ArrayList<>();
        CountDownLatch started = new CountDownLatch(waitedOn.size());
        for (int i = 0; i < waitedOn.size(); i++) {
            DistributedLock lock = waitedOn.get(i);
            boolean forever = i == 0;
            AtomicReference<Throwable> outcome = new AtomicReference<>();
            outcomes.add(outcome);
            Thread t = new Thread(() -> {
                started.countDown();
                try {
                    (forever ? lock.acquire() : lock.acquire(PATIENCE)).release();
                    outcome.set(new AssertionError("acquired while held"));
                } catch (Throwable e) {
                    outcome.set(e);
                }
            });
            t.setDaemon(true);
            t.start();
            waiters.add(t);
        }
        List<CompletableFuture<LockHandle>> futures = List.of(closing.lock(name("x")).acquireAsync(PATIENCE),
                closing.semaphore(name("sem"), 1).acquireAsync(PATIENCE));
        started.await();
        long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < settle && waiters.stream().anyMatch(t -> t.getState() == Thread.State.RUNNABLE || t.getState() == Thread.State.NEW)) {
            Thread.sleep(10); // let the waiters reach their wait (a backend waiting in socket I/O stays RUNNABLE: then 2 s)
        }
        assertTrue(waiters.stream().allMatch(Thread::isAlive) && futures.stream().noneMatch(CompletableFuture::isDone), "a waiter got in while held");

        closing.close();
        long closedAt = System.nanoTime();
        for (int i = 0; i < waiters.size(); i++) {
            waiters.get(i).join(1000);
            long late = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closedAt);
            assertFalse(waiters.get(i).isAlive(), "waiter " + i + " still waits " + late + " ms after close()");
            assertClosedException(outcomes.get(i).get());
        }
        for (CompletableFuture<LockHandle> f : futures) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(1000, TimeUnit.MILLISECONDS));
            assertClosedException(e.getCause());
        }
        heldLock.release();
        heldPermit.release();
        provider.lock(name("x")).tryAcquire(PATIENCE).orElseThrow(() -> new AssertionError("the closed provider kept the lock")).release();
        provider.semaphore(name("sem"), 1).tryAcquire(PATIENCE).orElseThrow(() -> new AssertionError("the closed provider kept the permit")).release();
    }

    /**
     * Loss wakes local waiters: a thread of the holder's own provider, blocked in
     * {@code acquire(15 s)}, gets the lock within 2 s of the holder's {@code lost()} completing,
     * for a mutex, a write lock and a permit. The lock is taken away from outside
     * ({@link ConformanceBackend#breakLockExternally}), so no release announces it, and the
     * provider's waiters would not poll again within the test ({@code retry=fixed:1m}): only the
     * loss itself can wake the waiter in time.
     */
    @Test
    void holderLosesItsLock_aWaiterOfTheSameProvider_getsItPromptly() throws Exception {
        LockProvider locks = openAnotherProvider("retry=fixed:1m");
        for (LockMode mode : List.of(LockMode.EXCLUSIVE, LockMode.WRITE, LockMode.PERMIT)) {
            String n = name("broken-" + mode);
            java.util.function.Supplier<DistributedLock> lock = () -> mode == LockMode.EXCLUSIVE ? locks.lock(n)
                    : mode == LockMode.WRITE ? locks.readWriteLock(n).writeLock() : locks.semaphore(n, 1);
            LockHandle holder = lock.get().acquire(PATIENCE);
            java.util.concurrent.atomic.AtomicLong lostAt = new java.util.concurrent.atomic.AtomicLong();
            CompletableFuture<Void> lostSeen = holder.lost().thenRun(() -> lostAt.set(System.nanoTime())).toCompletableFuture();
            java.util.concurrent.atomic.AtomicLong acquiredAt = new java.util.concurrent.atomic.AtomicLong();
            CompletableFuture<LockHandle> waited = new CompletableFuture<>();
            Thread waiter = new Thread(() -> {
                try {
                    LockHandle h = lock.get().acquire(Duration.ofSeconds(15));
                    acquiredAt.set(System.nanoTime());
                    waited.complete(h);
                } catch (Throwable e) {
                    waited.completeExceptionally(e);
                }
            });
            waiter.setDaemon(true);
            waiter.start();
            waiter.join(500); // let it reach its wait: a loss before that would prove nothing
            assertFalse(waited.isDone(), () -> mode + ": the waiter did not wait: " + waited);
            backend().breakLockExternally(n, mode);
            lostSeen.get(PATIENCE.toSeconds(), TimeUnit.SECONDS); // the holder must find out
            LockHandle woken;
            try {
                woken = waited.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new AssertionError(mode + ": the waiter was not woken by the holder's loss: " + e.getCause(), e.getCause());
            }
            long lateMs = TimeUnit.NANOSECONDS.toMillis(acquiredAt.get() - lostAt.get());
            assertTrue(lateMs < 2000, mode + ": the waiter got the lock " + lateMs + " ms after the holder's lost() completed");
            assertFalse(woken.isLost(), mode.toString());
            woken.release();
            holder.release();
        }
    }

    private static void assertClosedException(Throwable t) {
        assertInstanceOf(IllegalStateException.class, t, () -> {
            java.io.StringWriter trace = new java.io.StringWriter();
            t.printStackTrace(new java.io.PrintWriter(trace));
            return "a waiter woken by close() must get IllegalStateException, got: " + trace;
        });
        assertTrue(t.getMessage().contains("closed"), "the message must say the provider was closed: " + t.getMessage());
    }

    /**
     * 2,000 threads, two acquisitions each, over 10 locks: every acquisition completes and
     * exclusion holds. On JDK 21+ the threads are virtual (the backend must not collapse when
     * thousands of virtual threads block in it: no pinned carriers, no queue behind a monitor),
     * and the same run on platform threads is measured beside it; on JDK 17 the platform run is
     * the test. Both times are printed (no timing assertion on this noisy box).
     */
    @Test
    void twoThousandThreads_twoAcquisitionsEach_overTenLocks_allComplete_onVirtualThreadsWhereAvailable() throws Exception {
        ThreadFactory virtual = virtualThreadFactory();
        long platformNanos = manyThreadsOverTenLocks(r -> new Thread(r), "platform");
        String line = String.format("%s: %,d threads x 2 acquisitions over 10 locks: platform threads %.2f s", getClass().getSimpleName(),
                manyThreadsCount(), platformNanos / 1e9);
        if (virtual != null) {
            long virtualNanos = manyThreadsOverTenLocks(virtual, "virtual");
            line += String.format(", virtual threads %.2f s (ratio %.2f)", virtualNanos / 1e9, (double) virtualNanos / platformNanos);
        } else {
            line += ", no virtual threads on JDK " + Runtime.version().feature();
        }
        System.out.println(line);
    }

    /**
     * Threads in {@link #twoThousandThreads_twoAcquisitionsEach_overTenLocks_allComplete_onVirtualThreadsWhereAvailable};
     * a backend lowers it only for a capacity limit it documents.
     *
     * @return the number of threads; 2000 by default
     */
    protected int manyThreadsCount() {
        return 2000;
    }

    private long manyThreadsOverTenLocks(ThreadFactory threads, String kind) throws Exception {
        int threadCount = manyThreadsCount();
        List<DistributedLock> locks = new ArrayList<>();
        for (int i = 0; i < 10; i++) locks.add(provider.lock(name(kind + "-" + i)));
        int[] counters = new int[10]; // plain ints: only the locks protect them
        java.util.Queue<Throwable> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threadCount; t++) {
            int id = t;
            Thread thread = threads.newThread(() -> {
                try {
                    go.await();
                    for (int k = 0; k < 2; k++) {
                        int which = (id + 3 * k) % 10;
                        try (LockHandle h = locks.get(which).acquire(Duration.ofMinutes(3))) {
                            int read = counters[which];
                            Thread.yield();
                            counters[which] = read + 1;
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            thread.setDaemon(true);
            thread.start();
            started.add(thread);
        }
        long start = System.nanoTime();
        go.countDown();
        long deadline = start + TimeUnit.MINUTES.toNanos(4);
        for (Thread t : started) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (t.isAlive()) fail(kind + " threads did not finish 4,000 acquisitions over 10 locks within 4 minutes; failures: " + failures);
        }
        long took = System.nanoTime() - start;
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError(failures.size() + " of " + threadCount + " " + kind + " threads failed");
            failures.forEach(e::addSuppressed);
            throw e;
        }
        for (int i = 0; i < 10; i++) assertEquals(threadCount * 2 / 10, counters[i], kind + " threads: lost updates under lock " + i);
        return took;
    }

    /** {@code Thread.ofVirtual().factory()} on JDK 21+, else {@code null}; looked up reflectively (the kit is JDK 17 bytecode). */
    static ThreadFactory virtualThreadFactory() {
        try {
            Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
            return (ThreadFactory) Class.forName("java.lang.Thread$Builder").getMethod("factory").invoke(builder);
        } catch (NoSuchMethodException e) {
            return null;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void leakedHandle_isReleasedOnceGarbageCollected() throws Exception {
        DistributedLock lock = provider.lock(name("leak"));
        acquireAndForget(lock);
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (System.nanoTime() < deadline) {
            System.gc();
            Optional<LockHandle> h = lock.tryAcquire(Duration.ofMillis(50));
            if (h.isPresent()) {
                h.get().release();
                return;
            }
        }
        fail("a garbage-collected handle kept its lock");
    }

    private static void acquireAndForget(DistributedLock lock) throws InterruptedException {
        assertFalse(lock.acquire().isReleased());
    }

    @Test
    void acquireAll_takesEveryLock_andReleasesAllOnClose() throws Exception {
        DistributedLock a = provider.lock(name("a"));
        DistributedLock b = provider.lock(name("b"));
        try (LockSet both = LockSet.acquireAll(PATIENCE, b, a)) {
            assertEquals(2, both.handles().size());
            assertEquals(name("a"), both.handles().get(0).name(), "locks must be taken in name order");
            assertEquals(Optional.empty(), a.tryAcquire());
            assertEquals(Optional.empty(), b.tryAcquire());
        }
        a.tryAcquire().orElseThrow().release();
        b.tryAcquire().orElseThrow().release();
    }

    @Test
    void acquireAll_whenOneIsHeld_timesOutAndReleasesThePartialSet() throws Exception {
        DistributedLock a = provider.lock(name("a"));
        DistributedLock b = provider.lock(name("b"));
        try (LockHandle heldB = openAnotherProvider().lock(name("b")).acquire()) {
            assertThrows(LockTimeoutException.class, () -> LockSet.acquireAll(Duration.ofMillis(200), a, b));
            a.tryAcquire().orElseThrow().release();
        }
    }

    @Test
    void acquireAll_inOppositeOrdersFromTwoThreads_doesNotDeadlock() throws Exception {
        DistributedLock a = provider.lock(name("a"));
        DistributedLock b = provider.lock(name("b"));
        runConcurrently(2, new java.util.concurrent.Callable<Void>() {
            private final AtomicInteger turn = new AtomicInteger();

            @Override
            public Void call() throws Exception {
                boolean forward = turn.getAndIncrement() == 0;
                for (int i = 0; i < 30; i++) {
                    try (LockSet s = forward ? LockSet.acquireAll(PATIENCE, a, b) : LockSet.acquireAll(PATIENCE, b, a)) {
                        assertEquals(2, s.handles().size());
                    }
                }
                return null;
            }
        });
    }
}
