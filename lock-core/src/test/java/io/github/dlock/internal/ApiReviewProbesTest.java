package io.github.dlock.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.dlock.DistributedLock;
import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockHandle;
import io.github.dlock.LockLostException;
import io.github.dlock.ThreadOwnedLock;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Adversarial review probes (round 13) of withLock/callWithLock and the asLock() view,
 * through the public API on the in-memory test backend.
 */
class ApiReviewProbesTest {
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    private static void awaitTrue(String what, java.util.function.BooleanSupplier condition) {
        long until = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - until > 0) fail("timed out waiting for: " + what);
            LockSupport.parkNanos(1_000_000);
        }
    }

    // ---------------------------------------------------------------- withLock / callWithLock

    // FINDING: a provider closed while withLock's action runs releases the lock under the action, yet withLock returns the value as if computed under exclusion (no LockLostException, isLost() stays false)
    @Test
    void withLock_providerClosedWhileTheActionRuns_mustNotReturnTheValueAsComputedUnderExclusion() throws Exception {
        MemoryBackend backend = new MemoryBackend();
        DistributedLock lock = backend.lock("closed-under-action");
        CountDownLatch inAction = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        AtomicInteger holdersAfterClose = new AtomicInteger(-1);
        CompletableFuture<Object> outcome = CompletableFuture.supplyAsync(() -> {
            try {
                return lock.withLock(PATIENCE, handle -> {
                    inAction.countDown();
                    try {
                        closed.await();
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                    holdersAfterClose.set(backend.holders("closed-under-action"));
                    return "value";
                });
            } catch (Exception e) {
                return e;
            }
        });
        assertTrue(inAction.await(10, TimeUnit.SECONDS));
        backend.close(); // e.g. a Spring context shutting down while an @Locked method runs
        closed.countDown();
        Object result = outcome.get(10, TimeUnit.SECONDS);
        assertEquals(0, holdersAfterClose.get(), "precondition: close released the lock while the action still ran");
        assertInstanceOf(LockLostException.class, result,
                "the lock was released by close() while the action ran (anyone could enter), but withLock returned " + result
                        + " instead of throwing LockLostException");
    }

    @Test
    void withLock_releasesOnEveryPath_andLossIsReported() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            DistributedLock lock = backend.lock("paths");
            // checked exception through callWithLock, unchanged
            IOException io = new IOException("boom");
            assertSame(io, assertThrows(IOException.class, () -> lock.callWithLock(PATIENCE, () -> {
                throw io;
            })));
            assertEquals(0, backend.holders("paths"), "held after a checked exception");
            // an Error
            StackOverflowError so = new StackOverflowError("deep");
            assertSame(so, assertThrows(StackOverflowError.class, () -> lock.withLock(PATIENCE, () -> {
                throw so;
            })));
            assertEquals(0, backend.holders("paths"), "held after an Error");
            // InterruptedException thrown by the action (interrupt status re-set, as callers do): released all the same
            assertThrows(InterruptedException.class, () -> lock.callWithLock(PATIENCE, () -> {
                Thread.currentThread().interrupt();
                throw new InterruptedException("action");
            }));
            assertTrue(Thread.interrupted(), "the action's own interrupt status must stay");
            assertEquals(0, backend.holders("paths"), "held after the action threw InterruptedException");
            // lost during the action: LockLostException, released
            LockLostException lost = assertThrows(LockLostException.class, () -> lock.withLock(PATIENCE, h -> {
                backend.last.markLost("test");
                return 1;
            }));
            assertTrue(lost.getMessage().contains("paths"), lost.getMessage());
            assertEquals(0, backend.holders("paths"), "held after loss");
            // interrupted before the call: InterruptedException, action not run, nothing held
            AtomicInteger ran = new AtomicInteger();
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> lock.withLock(PATIENCE, (Runnable) ran::incrementAndGet));
            assertEquals(0, ran.get());
            assertEquals(0, backend.holders("paths"));
            // bad arguments name themselves
            assertEquals("timeout", assertThrows(NullPointerException.class, () -> lock.withLock(null, () -> {})).getMessage());
            assertEquals("action", assertThrows(NullPointerException.class, () -> lock.withLock(PATIENCE, (Runnable) null)).getMessage());
            assertTrue(assertThrows(IllegalArgumentException.class, () -> lock.callWithLock(Duration.ofNanos(-1), () -> 1))
                    .getMessage().startsWith("timeout"));
            // huge timeout, free lock
            assertEquals(7, lock.callWithLock(Duration.ofSeconds(Long.MAX_VALUE), () -> 7));
            assertEquals(0, backend.holders("paths"));
        }
    }

    // FINDING: withLock(Duration, Function) wraps a checked exception thrown by the action (sneaky throw, e.g. Lombok @SneakyThrows or Kotlin) in IllegalStateException, although its Javadoc says an exception of the action is rethrown as is
    @Test
    void withLock_function_rethrowsASneakyCheckedExceptionAsIs() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            IOException io = new IOException("from the action");
            Throwable thrown = assertThrows(Throwable.class, () -> backend.lock("sneaky").withLock(PATIENCE, h -> sneakyThrow(io)));
            assertEquals(0, backend.holders("sneaky"));
            assertSame(io, thrown, "withLock(Function) did not rethrow the action's exception as is; it threw " + thrown);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T, E extends Throwable> T sneakyThrow(Throwable t) throws E {
        throw (E) t;
    }

    // ---------------------------------------------------------------- asLock()

    // FINDING: ThreadOwnedLock.tryLock() returns false for a FREE lock when the caller's interrupt status is set; Lock.tryLock() must take an available lock regardless of interrupts (ReentrantLock does), and the view's Javadoc says "takes the lock if it is free right now"
    @Test
    void asLock_tryLock_takesAFreeLockEvenWithTheInterruptStatusSet() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            ThreadOwnedLock view = backend.lock("try-interrupted").asLock();
            Thread.currentThread().interrupt();
            boolean got;
            try {
                got = view.tryLock();
            } finally {
                assertTrue(Thread.interrupted(), "the interrupt status must be kept");
            }
            if (got) view.unlock();
            assertTrue(got, "tryLock() of a free lock returned false because the thread's interrupt status was set");
        }
    }

    @Test
    void asLock_ownershipReentrancyInterruptsAndTimeUnits() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            ThreadOwnedLock view = backend.lock("view").asLock();
            assertThrows(IllegalMonitorStateException.class, view::unlock);
            view.lock();
            view.lock();
            assertTrue(view.tryLock(-5, TimeUnit.DAYS));
            assertEquals(3, view.getHoldCount());
            // another thread: cannot unlock, cannot take it
            CompletableFuture<String> other = CompletableFuture.supplyAsync(() -> {
                try {
                    view.unlock();
                    return "unlock by a non-owner succeeded";
                } catch (IllegalMonitorStateException expected) {
                    // fine
                }
                try {
                    if (view.tryLock(0, TimeUnit.NANOSECONDS)) return "a second thread got the lock";
                    if (view.tryLock()) return "a second thread got the lock (tryLock())";
                } catch (InterruptedException e) {
                    return e.toString();
                }
                return "ok";
            });
            assertEquals("ok", other.get(10, TimeUnit.SECONDS));
            view.unlock();
            view.unlock();
            assertEquals(1, backend.holders("view"));
            view.unlock();
            assertEquals(0, backend.holders("view"));
            assertThrows(IllegalMonitorStateException.class, view::unlock);
            // every TimeUnit, huge and negative values, on a free lock
            for (TimeUnit unit : TimeUnit.values()) {
                for (long t : new long[] {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE}) {
                    assertTrue(view.tryLock(t, unit), unit + " " + t);
                    view.unlock();
                }
            }
            assertEquals("unit", assertThrows(NullPointerException.class, () -> view.tryLock(1, null)).getMessage());
            // lock() with the interrupt status set: takes the lock, keeps the interrupt
            Thread.currentThread().interrupt();
            view.lock();
            assertTrue(Thread.interrupted(), "lock() dropped the interrupt status");
            view.unlock();
            // lockInterruptibly / tryLock(time) with the interrupt set: throw, hold nothing
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, view::lockInterruptibly);
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> view.tryLock(1, TimeUnit.SECONDS));
            assertEquals(0, backend.holders("view"));
            assertFalse(view.isHeldByCurrentThread());
            assertThrows(UnsupportedOperationException.class, view::newCondition);
        }
    }

    @Test
    void asLock_interruptWhileWaitingInLock_keepsWaiting_thenHoldsWithTheInterruptSet() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            ThreadOwnedLock view = backend.lock("uninterruptible").asLock();
            LockHandle gate = backend.lock("uninterruptible").acquire(PATIENCE);
            AtomicReference<String> seen = new AtomicReference<>();
            Thread waiter = new Thread(() -> {
                view.lock();
                seen.set("held, interrupted=" + Thread.currentThread().isInterrupted());
                view.unlock();
            });
            waiter.start();
            awaitTrue("waiter parked", () -> waiter.getState() == Thread.State.TIMED_WAITING || waiter.getState() == Thread.State.WAITING);
            for (int i = 0; i < 5; i++) {
                waiter.interrupt();
                LockSupport.parkNanos(2_000_000);
            }
            assertEquals(null, seen.get(), "lock() returned while the lock was held elsewhere");
            gate.release();
            waiter.join(10_000);
            assertEquals("held, interrupted=true", seen.get());
        }
    }

    @Test
    void asLock_semaphoreView_manyThreads_neverMoreThanPermits() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            DistributedSemaphore sem = backend.semaphore("vt", 3);
            ThreadOwnedLock view = sem.asLock();
            AtomicInteger inside = new AtomicInteger();
            AtomicInteger max = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                threads.add(startThread(() -> {
                    for (int j = 0; j < 5; j++) {
                        view.lock();
                        try {
                            view.lock(); // re-entrant: no second permit
                            int now = inside.incrementAndGet();
                            max.accumulateAndGet(now, Math::max);
                            Thread.yield();
                            inside.decrementAndGet();
                            view.unlock();
                        } finally {
                            view.unlock();
                        }
                    }
                }));
            }
            for (Thread t : threads) t.join(30_000);
            assertTrue(max.get() <= 3, "more holders than permits: " + max.get());
            assertEquals(0, backend.holders("sem:vt"));
        }
    }

    @Test
    void asLock_providerClosedWhileThreadsWaitInLock_endsThemWithIse_noBusyLoop() throws Exception {
        MemoryBackend backend = new MemoryBackend();
        ThreadOwnedLock view = backend.lock("close-waiters").asLock();
        LockHandle gate = backend.lock("close-waiters").acquire(PATIENCE);
        List<CompletableFuture<Throwable>> waiters = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            CompletableFuture<Throwable> f = new CompletableFuture<>();
            boolean interruptFirst = i % 2 == 0;
            Thread t = new Thread(() -> {
                try {
                    if (interruptFirst) Thread.currentThread().interrupt(); // half of them interrupted first
                    view.lock();
                    f.complete(null);
                } catch (Throwable e) {
                    f.complete(e);
                }
            });
            t.start();
            waiters.add(f);
        }
        awaitTrue("waiters attempting in the backend", () -> waitersWaiting(backend) >= 6);
        backend.close();
        for (CompletableFuture<Throwable> f : waiters) {
            Throwable t = f.get(10, TimeUnit.SECONDS); // a busy-looping lock() would never end here
            assertInstanceOf(IllegalStateException.class, t, "lock() after close ended with " + t);
            assertTrue(t.getMessage().contains("closed"), t.getMessage());
        }
    }

    private static Thread startThread(Runnable r) {
        Thread t = new Thread(r);
        t.start();
        return t;
    }

    /** How many threads the runtime counts as attempting (through its package-private flight counter). */
    private static int waitersWaiting(MemoryBackend backend) {
        return backend.runtime.callsInFlight();
    }

    @Test
    void asLock_lossAndFailedRelease_endTheHold() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            ThreadOwnedLock view = backend.lock("lossy").asLock();
            view.lock();
            backend.last.markLost("test");
            assertTrue(view.handle().orElseThrow().isLost());
            view.unlock(); // quietly
            assertFalse(view.isHeldByCurrentThread());
            view.lock();
            backend.failReleases = true;
            assertThrows(io.github.dlock.LockBackendException.class, view::unlock);
            backend.failReleases = false;
            assertFalse(view.isHeldByCurrentThread(), "the hold must end even if the release failed");
            assertTrue(view.tryLock(1, TimeUnit.SECONDS));
            view.unlock();
        }
    }

    @Test
    void asLock_aThreadThatDiesHoldingIt_keepsTheLockHeld_likeReentrantLock() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            ThreadOwnedLock view = backend.lock("dead-owner").asLock();
            Thread t = new Thread(view::lock);
            t.start();
            t.join(10_000);
            assertEquals(1, backend.holders("dead-owner"), "documents: a dead owner's hold is never released (as ReentrantLock)");
            assertFalse(view.tryLock());
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> CompletableFuture.runAsync(view::unlock).get(10, TimeUnit.SECONDS));
            assertInstanceOf(IllegalMonitorStateException.class, e.getCause());
        }
    }
}
