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
        assertFalse(waiter.isDone(), "acquired while held");
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
        CompletableFuture<LockHandle> waiter = lock.acquireAsync(PATIENCE);
        assertTrue(waiter.cancel(true));
        held.release();
        assertThrows(CancellationException.class, waiter::join);
        lock.tryAcquire(PATIENCE).orElseThrow().release();
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
        assertEquals(List.of(), provider.holders(n));
        try (LockHandle h = provider.lock(n).acquire()) {
            List<LockHolder> holders = openAnotherProvider().holders(n);
            assertEquals(1, holders.size(), holders.toString());
            LockHolder holder = holders.get(0);
            assertEquals(LockMode.EXCLUSIVE, holder.mode());
            assertFalse(holder.ownerId().isBlank());
            holder.pid().ifPresent(pid -> assertEquals(ProcessHandle.current().pid(), pid));
        }
        assertEquals(List.of(), provider.holders(n));
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
