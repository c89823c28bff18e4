package io.github.dlock.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockTimeoutException;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The public variants core builds on a backend's acquirer, on an in-memory backend. */
class DefaultLockTest {
    /**
     * CI failure again (dlock run signalled right after the grant, JDK 25): the shutdown hook and
     * the main thread both closed the provider; the second close() returned at once (the provider
     * was already closing) and the backend closed its connections while the first was still
     * releasing the lock it held, so that release failed and the lock stayed for its lease. A
     * second close() must return only once the first has finished.
     */
    @Test
    void aSecondClose_returnsOnlyOnceTheFirstHasReleasedWhatWasHeld() throws Exception {
        MemoryBackend backend = new MemoryBackend();
        backend.lock("closing-twice").acquire(Duration.ofSeconds(5)); // left held: close() releases it
        backend.releaseGate = new CountDownLatch(1);
        CompletableFuture<Void> first = CompletableFuture.runAsync(backend::close, Executors.newSingleThreadExecutor());
        assertTrue(backend.releasing.await(10, TimeUnit.SECONDS), "close() never released the held lock");
        CompletableFuture<Void> second = CompletableFuture.runAsync(backend::close, Executors.newSingleThreadExecutor());
        try {
            second.get(2, TimeUnit.SECONDS); // the fix keeps it waiting for the first
        } catch (java.util.concurrent.TimeoutException stillWaiting) {
            // as it should
        }
        backend.releaseGate.countDown();
        first.get(10, TimeUnit.SECONDS);
        second.get(10, TimeUnit.SECONDS);
        assertEquals(0, backend.holders("closing-twice"), "the lock was left held in the store");
    }

    /**
     * CI failure (dlock run signalled right after the grant): the holder's release was on its
     * way to the store when another thread closed the provider; close() did not wait for it and
     * closed the connections under it, so the release failed and the lock stayed held for its
     * lease (and the failure was swallowed, close having marked the lock lost). A release in
     * flight must end before close() goes on to close connections.
     */
    @Test
    void close_waitsForAReleaseInFlight_beforeTheConnectionsClose() throws Exception {
        MemoryBackend backend = new MemoryBackend();
        LockHandle handle = backend.lock("release-in-flight").acquire(Duration.ofSeconds(5));
        backend.releaseGate = new CountDownLatch(1);
        CompletableFuture<Throwable> release = CompletableFuture.supplyAsync(() -> {
            try {
                handle.close();
                return null;
            } catch (Throwable e) {
                return e;
            }
        }, Executors.newSingleThreadExecutor());
        assertTrue(backend.releasing.await(10, TimeUnit.SECONDS), "the release never reached the store");
        CompletableFuture<Void> close = CompletableFuture.runAsync(backend::close, Executors.newSingleThreadExecutor());
        try {
            close.get(2, TimeUnit.SECONDS); // the fix keeps close() waiting for the release (at most 5 s)
        } catch (java.util.concurrent.TimeoutException stillWaiting) {
            // as it should
        }
        backend.releaseGate.countDown();
        close.get(10, TimeUnit.SECONDS);
        assertEquals(null, release.get(10, TimeUnit.SECONDS), "the holder's release failed");
        assertEquals(0, backend.holders("release-in-flight"), "the lock was left held in the store");
    }


    @Test
    void acquireAsync_runsOnAVirtualThread_onJdk21AndLater_elseOnADaemonThread() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            DistributedLock lock = backend.lock("x");
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            DistributedLock spying = backend.runtime.lock("y", n -> deadline -> {
                ranOn.set(Thread.currentThread());
                return null;
            });
            assertThrows(ExecutionException.class, () -> spying.acquireAsync(Duration.ZERO).get(10, TimeUnit.SECONDS));
            Thread t = ranOn.get();
            boolean virtualThreadsExist = Runtime.version().feature() >= 21;
            assertEquals(virtualThreadsExist, isVirtual(t), "acquireAsync ran on " + t);
            assertTrue(t.isDaemon(), "acquireAsync must not keep the JVM alive: " + t);
            lock.acquireAsync(Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS).release();
        }
    }

    @Test
    void acquireAsync_withAnExecutor_runsThere_andCancelInterruptsOnlyThatAcquisition() throws Exception {
        ExecutorService mine = Executors.newSingleThreadExecutor(r -> new Thread(r, "callers-thread"));
        try (MemoryBackend backend = new MemoryBackend(); LockHandle held = backend.lock("x").acquire()) {
            CompletableFuture<LockHandle> waiting = backend.lock("x").acquireAsync(Duration.ofSeconds(30), mine);
            AtomicReference<String> name = new AtomicReference<>();
            DistributedLock spying = backend.runtime.lock("y", n -> deadline -> {
                name.set(Thread.currentThread().getName());
                return null;
            });
            assertFalse(waiting.isDone());
            assertTrue(waiting.cancel(false)); // either flag stops the wait
            assertThrows(CancellationException.class, waiting::join);
            // The executor's thread is free again, and not left interrupted.
            assertEquals(Boolean.FALSE, mine.submit(() -> Thread.currentThread().isInterrupted()).get(10, TimeUnit.SECONDS));
            assertThrows(ExecutionException.class, () -> spying.acquireAsync(Duration.ZERO, mine).get(10, TimeUnit.SECONDS));
            assertEquals("callers-thread", name.get());
            assertEquals(1, backend.holders("x"), "a cancelled acquisition holds nothing");
        } finally {
            mine.shutdownNow();
        }
    }

    @Test
    void acquireAsync_failures_completeTheFutureExceptionally() throws Exception {
        try (MemoryBackend backend = new MemoryBackend(); LockHandle held = backend.lock("x").acquire()) {
            ExecutionException timeout = assertThrows(ExecutionException.class,
                    () -> backend.lock("x").acquireAsync(Duration.ofMillis(50)).get(10, TimeUnit.SECONDS));
            assertInstanceOf(LockTimeoutException.class, timeout.getCause());
            assertThrows(IllegalArgumentException.class, () -> backend.lock("x").acquireAsync(Duration.ofSeconds(-1)));
            assertThrows(NullPointerException.class, () -> backend.lock("x").acquireAsync(Duration.ofSeconds(1), null));
        }
    }

    @Test
    void interruptedWaiter_getsInterruptedException_andHoldsNothing() throws Exception {
        try (MemoryBackend backend = new MemoryBackend(); LockHandle held = backend.lock("x").acquire()) {
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> backend.lock("x").acquire(Duration.ofSeconds(30)));
            assertFalse(Thread.currentThread().isInterrupted());
            Thread.currentThread().interrupt();
            assertEquals(Optional.empty(), backend.lock("x").tryAcquire());
            assertTrue(Thread.interrupted(), "tryAcquire() must keep the interrupt status");
            assertEquals(1, backend.holders("x"));
        }
    }

    @Test
    void close_wakesWaiters_withIllegalStateException_clearsItsInterrupt_andReleasesWhatIsHeld() throws Exception {
        MemoryBackend backend = new MemoryBackend();
        LockHandle held = backend.lock("x").acquire();
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        AtomicReference<Boolean> interruptedAfter = new AtomicReference<>();
        CountDownLatch waiting = new CountDownLatch(1);
        Thread waiter = new Thread(() -> {
            waiting.countDown();
            try {
                backend.lock("x").acquire();
            } catch (Throwable t) {
                outcome.set(t);
            }
            interruptedAfter.set(Thread.currentThread().isInterrupted());
        });
        waiter.start();
        waiting.await();
        while (waiter.getState() == Thread.State.RUNNABLE) Thread.sleep(5);
        CompletableFuture<LockHandle> pending = backend.lock("x").acquireAsync(Duration.ofMinutes(1));
        backend.close();
        waiter.join(5000);
        assertFalse(waiter.isAlive(), "close() did not wake the waiter");
        assertInstanceOf(IllegalStateException.class, outcome.get());
        assertTrue(outcome.get().getMessage().contains("was closed while waiting for exclusive lock 'x'"), outcome.get().getMessage());
        assertEquals(Boolean.FALSE, interruptedAfter.get(), "close()'s interrupt leaked into the caller");
        ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(5, TimeUnit.SECONDS));
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertTrue(held.isReleased());
        assertTrue(held.isLost(), "closing released a lock its holder had not released: the holder must be told");
        held.lost().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertEquals(0, backend.holders("x"));
        assertThrows(IllegalStateException.class, () -> backend.lock("x"));
        assertThrows(IllegalStateException.class, () -> backend.runtime.startWaiting());
        backend.close(); // idempotent
    }

    @Test
    void leakedHandle_isReleasedByTheCleaner_andUntracked() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            WeakReference<LockHandle> leaked = new WeakReference<>(backend.lock("x").acquire());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (backend.holders("x") != 0) {
                assertTrue(System.nanoTime() < deadline, "a garbage-collected handle kept its lock");
                System.gc();
                Thread.sleep(10);
            }
            assertEquals(null, leaked.get());
            assertEquals(1, backend.backendReleases.get());
            backend.lock("x").tryAcquire().orElseThrow().release();
        }
        // Closing afterwards released nothing twice: the cleaned handle was untracked.
    }

    @Test
    void release_isIdempotent_andReleasedHandlesAreNotReleasedAgainOnClose() throws Exception {
        MemoryBackend backend = new MemoryBackend();
        LockHandle h = backend.lock("x").acquire();
        h.release();
        h.close();
        backend.close();
        assertEquals(1, backend.backendReleases.get());
        assertTrue(h.isReleased());
    }

    private static boolean isVirtual(Thread t) throws Exception {
        try {
            return (Boolean) Thread.class.getMethod("isVirtual").invoke(t);
        } catch (NoSuchMethodException e) {
            return false;
        }
    }
}
