package io.github.dlock.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedLock;
import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockHandle;
import io.github.dlock.LockSet;
import io.github.dlock.LockTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Adversarial review probes for issue 12 (core): interrupts, cancellation, close, huge
 * durations and LockSet, through the public API on the in-memory test backend.
 */
class CoreReviewProbesTest {
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    // ---------------------------------------------------------------- LockSet

    /**
     * LockSet promises one global order "whatever order the caller passes them in". Two locks
     * of the same name and mode on two different providers tie in that order, so two callers
     * passing them in opposite orders take them in opposite orders: a lock-order inversion
     * that ends only at the timeout.
     */
    @Test
    void lockSet_sameNameOnTwoProviders_inOppositeOrders_neverDeadlocks() throws Exception {
        try (MemoryBackend one = new MemoryBackend(); MemoryBackend two = new MemoryBackend()) {
            ExecutorService pool = Executors.newCachedThreadPool();
            List<String> timeouts = new ArrayList<>();
            try {
                for (int round = 0; round < 8; round++) {
                    LockHandle gate = two.lock("x").acquire(PATIENCE); // makes both callers wait on two.x
                    CompletableFuture<Object> a = CompletableFuture.supplyAsync(() -> takeBoth(one.lock("x"), two.lock("x")), pool);
                    long until = System.nanoTime() + PATIENCE.toNanos();
                    while (one.holders("x") == 0 && System.nanoTime() < until) LockSupport.parkNanos(1_000_000);
                    CompletableFuture<Object> b = CompletableFuture.supplyAsync(() -> takeBoth(two.lock("x"), one.lock("x")), pool);
                    LockSupport.parkNanos(100_000_000); // raises the chance that b is already waiting (not used for correctness)
                    gate.release();
                    Object ra = a.get(60, TimeUnit.SECONDS);
                    Object rb = b.get(60, TimeUnit.SECONDS);
                    if (ra instanceof LockTimeoutException || rb instanceof LockTimeoutException) {
                        timeouts.add("round " + round + ": a=" + ra + ", b=" + rb);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(List.of(), timeouts, "two LockSets over the same two locks deadlocked until their timeout");
        }
    }

    private static Object takeBoth(DistributedLock first, DistributedLock second) {
        try (LockSet set = LockSet.acquireAll(Duration.ofSeconds(2), first, second)) {
            return "ok";
        } catch (LockTimeoutException e) {
            return e;
        } catch (InterruptedException e) {
            return e;
        }
    }

    /** A failure (provider closed) of a later lock releases the earlier ones. */
    @Test
    void lockSet_laterLockFails_releasesTheEarlierOnes() throws Exception {
        try (MemoryBackend one = new MemoryBackend(); MemoryBackend two = new MemoryBackend()) {
            DistributedLock a = one.lock("a");
            DistributedLock b = two.lock("b");
            two.close();
            assertThrows(IllegalStateException.class, () -> LockSet.acquireAll(PATIENCE, a, b));
            assertEquals(0, one.holders("a"));
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> LockSet.acquireAll(PATIENCE, one.lock("c"), one.lock("d")));
            assertEquals(0, one.holders("c"));
        }
    }

    /** Huge timeouts are "no deadline", never an overflow. */
    @Test
    void lockSet_andAcquire_withHugeTimeouts() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            try (LockSet s = LockSet.acquireAll(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999), backend.lock("a"), backend.lock("b"))) {
                assertEquals(2, s.handles().size());
            }
            for (Duration huge : List.of(Duration.ofSeconds(Long.MAX_VALUE), Duration.ofNanos(Long.MAX_VALUE),
                    Duration.ofNanos(Long.MAX_VALUE - 1), Duration.ofDays(106_751))) {
                LockHandle held = backend.lock("h").acquire(huge);
                CompletableFuture<LockHandle> waiting = backend.lock("h").acquireAsync(huge);
                Optional<LockHandle> none = backend.lock("h").tryAcquire(Duration.ZERO);
                assertEquals(Optional.empty(), none);
                assertFalse(waiting.isDone());
                held.release();
                waiting.get(30, TimeUnit.SECONDS).release();
            }
            assertThrows(IllegalArgumentException.class, () -> backend.lock("n").tryAcquire(Duration.ofNanos(-1)));
            assertThrows(IllegalArgumentException.class, () -> backend.lock("n").acquireAsync(Duration.ofSeconds(Long.MIN_VALUE)));
            assertThrows(IllegalArgumentException.class, () -> backend.semaphore("s", 0));
            assertThrows(IllegalArgumentException.class, () -> backend.semaphore("s", -1));
            assertThrows(IllegalArgumentException.class, () -> backend.semaphore("s", Integer.MIN_VALUE));
            DistributedSemaphore max = backend.semaphore("s", Integer.MAX_VALUE);
            max.acquire(Duration.ZERO).release();
        }
    }

    // ---------------------------------------------------------------- interrupts and cancellation

    /**
     * acquireAsync on an executor that runs the task on the calling thread (a legal
     * {@link java.util.concurrent.Executor}): the caller's own interrupt status must survive.
     * AsyncAcquire catches the InterruptedException, cancels the future and drops the flag.
     */
    @Test
    void acquireAsync_onACallingThreadExecutor_keepsTheCallersInterruptStatus() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            LockHandle held = backend.lock("a").acquire(PATIENCE);
            Thread.currentThread().interrupt();
            CompletableFuture<LockHandle> f = backend.lock("a").acquireAsync(PATIENCE, Runnable::run);
            boolean stillInterrupted = Thread.interrupted();
            assertTrue(f.isDone());
            held.release();
            assertTrue(stillInterrupted, "the caller's interrupt was swallowed by acquireAsync (future: " + f + ")");
        }
    }

    /** Storm of acquireAsync + cancel(true) on a semaphore: nothing may stay held, no permit may be over-granted. */
    @Test
    void acquireAsyncCancelStorm_leavesNothingHeld() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            DistributedSemaphore sem = backend.semaphore("s", 3);
            LockHandle mine = sem.acquire(PATIENCE);
            List<CompletableFuture<LockHandle>> all = new ArrayList<>();
            for (int i = 0; i < 3000; i++) {
                CompletableFuture<LockHandle> f = sem.acquireAsync(PATIENCE);
                if (i % 3 == 0) LockSupport.parkNanos(i % 100 * 1000L);
                f.cancel(i % 2 == 0);
                all.add(f);
            }
            for (CompletableFuture<LockHandle> f : all) {
                try {
                    f.get(30, TimeUnit.SECONDS).release();
                } catch (CancellationException expected) {
                    // the normal outcome
                }
            }
            // every cancelled acquisition must have given back what it won in the race
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (backend.holders("sem:s") > 1 && System.nanoTime() < until) LockSupport.parkNanos(1_000_000);
            assertEquals(1, backend.holders("sem:s"), "a cancelled acquireAsync left a permit held");
            assertFalse(mine.isLost());
            mine.release();
        }
    }

    // ---------------------------------------------------------------- close

    /** close() wakes many waiters (sync and async) with one clear IllegalStateException, without leaking interrupts. */
    @Test
    void close_wakesEveryWaiter_withIse_andNoLeakedInterrupt() throws Exception {
        MemoryBackend backend = new MemoryBackend();
        LockHandle held = backend.lock("a").acquire(PATIENCE);
        int n = 40;
        CountDownLatch started = new CountDownLatch(n);
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = i;
            Thread t = new Thread(() -> {
                started.countDown();
                try {
                    if (k % 2 == 0) backend.lock("a").acquire();
                    else backend.lock("a").tryAcquire(Duration.ofSeconds(Long.MAX_VALUE));
                    wrong.add(k + ": acquired");
                } catch (IllegalStateException e) {
                    if (!e.getMessage().contains("closed")) wrong.add(k + ": " + e);
                    if (Thread.currentThread().isInterrupted()) wrong.add(k + ": interrupt leaked to the caller");
                } catch (Throwable e) {
                    wrong.add(k + ": " + e);
                }
            });
            threads.add(t);
            t.start();
        }
        List<CompletableFuture<LockHandle>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) futures.add(backend.lock("a").acquireAsync(PATIENCE));
        ExecutorService own = Executors.newSingleThreadExecutor();
        for (int i = 0; i < 5; i++) futures.add(backend.lock("a").acquireAsync(PATIENCE, own)); // queued behind each other
        started.await();
        long until = System.nanoTime() + PATIENCE.toNanos();
        while (threads.stream().anyMatch(t -> t.getState() == Thread.State.RUNNABLE) && System.nanoTime() < until) LockSupport.parkNanos(1_000_000);
        long start = System.nanoTime();
        backend.close();
        backend.close(); // twice
        for (Thread t : threads) t.join(5000);
        for (CompletableFuture<LockHandle> f : futures) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
            if (!(e.getCause() instanceof IllegalStateException)) wrong.add("future: " + e.getCause());
        }
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        own.shutdownNow();
        assertEquals(List.of(), List.copyOf(wrong));
        assertTrue(tookMs < 5000, "waking took " + tookMs + " ms");
        assertTrue(held.isReleased(), "close did not release the held handle");
        assertThrows(IllegalStateException.class, () -> backend.lock("a"));
        held.release();
    }

    /** lost() is one stage, the same from many threads. */
    @Test
    void lost_isTheSameStage_fromManyThreads() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            LockHandle h = backend.lock("a").acquire(PATIENCE);
            ConcurrentLinkedQueue<CompletionStage<Void>> stages = new ConcurrentLinkedQueue<>();
            List<Thread> ts = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                Thread t = new Thread(() -> {
                    for (int j = 0; j < 1000; j++) stages.add(h.lost());
                });
                ts.add(t);
                t.start();
            }
            for (Thread t : ts) t.join();
            CompletionStage<Void> first = stages.peek();
            for (CompletionStage<Void> s : stages) assertSame(first, s);
            // a caller cannot complete it through toCompletableFuture()
            h.lost().toCompletableFuture().complete(null);
            assertFalse(h.isLost());
            h.release();
        }
    }
}
