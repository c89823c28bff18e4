package io.github.dlock.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockListener;
import io.github.dlock.LockLostException;
import io.github.dlock.LockMode;
import io.github.dlock.ThreadOwnedLock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Adversarial review probes (issue 13 review, round b) of withLock, asLock() and listeners, on the in-memory backend. */
class Issue13CoreReviewProbesTest {
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    /**
     * FINDING: after provider close() released the lock under a thread that holds the asLock()
     * view, the same thread's lock() / tryLock() / tryLock(time) "re-enter" at once and return
     * as if the lock were held: nothing is held (any other process can take it), and lock() is
     * documented to throw IllegalStateException if the provider is closed.
     */
    @Test
    void asLock_reentryAfterTheProviderClosed_doesNotPretendToHoldTheLock() throws Exception {
        MemoryBackend backend = new MemoryBackend();
        ThreadOwnedLock view = backend.lock("reenter-closed").asLock();
        view.lock();
        backend.close(); // e.g. application shutdown while a worker holds the view
        assertEquals(0, backend.holders("reenter-closed"), "precondition: close() released the lock");
        StringBuilder wrong = new StringBuilder();
        try {
            view.lock();
            wrong.append(" lock() returned (hold count ").append(view.getHoldCount()).append(");");
        } catch (IllegalStateException expected) {
            // documented
        }
        try {
            if (view.tryLock()) wrong.append(" tryLock() returned true;");
        } catch (IllegalStateException expected) {
            // fine
        }
        try {
            if (view.tryLock(1, TimeUnit.SECONDS)) wrong.append(" tryLock(1s) returned true;");
        } catch (IllegalStateException expected) {
            // fine
        }
        assertEquals("", wrong.toString(), "the provider is closed and the lock released by close(), yet re-entry succeeded:");
    }

    /**
     * CONTRACT QUESTION: a thread whose hold of the view was lost (lease expired, session gone)
     * re-enters with lock()/tryLock() at once and is told it holds the lock, although another
     * holder may have it now. The Javadoc says a lost lock "still counts as held until unlocked"
     * (for isHeldByCurrentThread); but handing out a NEW successful tryLock() on a hold known to
     * be lost lets code written against Lock run a second critical section unprotected.
     */
    @Test
    void asLock_reentryOfAHoldKnownLost_isNotGranted() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            ThreadOwnedLock view = backend.lock("reenter-lost").asLock();
            view.lock();
            backend.last.markLost("test: lease expired");
            LockHandle other = backend.lock("reenter-lost").tryAcquire().orElse(null); // MemoryBackend keeps the count of a lost hold: null here
            boolean reentered;
            try {
                reentered = view.tryLock();
            } catch (io.github.dlock.LockLostException refused) {
                reentered = false; // the chosen contract: re-entry of a lost hold says so
            }
            if (reentered) view.unlock();
            view.unlock();
            if (other != null) other.release();
            assertFalse(reentered, "tryLock() re-entered a hold that handle().isLost() already reported lost");
        }
    }

    /**
     * FINDING (message): withLock(Function) whose action releases the handle itself (done
     * early, e.g. before slow clean-up) throws LockLostException saying the lock "was released by
     * close() of its provider while the action ran", though the provider is open and nothing
     * was lost. The code takes any released handle for close()'s doing. Expected: no
     * LockLostException blaming close() (return the value, or an exception that says the
     * action released the handle).
     */
    @Test
    void withLock_actionReleasingTheHandleItself_isNotBlamedOnProviderClose() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            DistributedLock lock = backend.lock("early-release");
            String message = null;
            try {
                lock.withLock(PATIENCE, h -> {
                    h.release();
                    return "done";
                });
            } catch (LockLostException e) {
                message = e.getMessage();
            }
            assertFalse(backend.runtime.isClosed());
            assertTrue(message == null || !message.contains("close()"),
                    "the action released its own handle with the provider open, yet withLock threw: " + message);
        }
    }

    /**
     * FINDING (low): a listener that throws a VirtualMachineError (StackOverflowError from a deep
     * logging call) from acquireFinished(ACQUIRED) makes acquire() throw after the lock was
     * granted, and the lock stays held with no handle anyone can release (until the GC's
     * Cleaner finds the dropped handle). "A listener cannot break locking": the grant should be
     * given back before the error propagates.
     */
    @Test
    void listenerThrowingAnErrorOnAcquired_leavesNoLockHeldWithoutAHandle() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            LockListener.Registration r = backend.runtime.listen(new LockListener() {
                @Override
                public void acquireFinished(String name, LockMode mode, String backendName, Outcome outcome, long waitNanos) {
                    if (outcome == Outcome.ACQUIRED) throw new StackOverflowError("listener recursion");
                }
            });
            DistributedLock lock = backend.lock("listener-soe");
            assertThrows(StackOverflowError.class, () -> lock.acquire(PATIENCE));
            r.close();
            int heldAfter = backend.holders("listener-soe");
            int counted = backend.runtime.heldCount();
            assertEquals(0, heldAfter, "acquire() threw the listener's error, but the lock stays held (heldLockCount " + counted
                    + ") with no handle returned to release it");
        }
    }

    /** Holds: a listener that blocks in acquireFinished delays only its own caller; other threads acquire and release meanwhile. */
    @Test
    void listenerBlockingOnOneThread_doesNotStallOtherThreads() throws Exception {
        // a thread per task: the common pool may have a single worker on 2 cores (JDK 25 uses it even then), which the slow task would occupy
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();
        try (MemoryBackend backend = new MemoryBackend()) {
            java.util.concurrent.CountDownLatch inListener = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch unblock = new java.util.concurrent.CountDownLatch(1);
            backend.runtime.listen(new LockListener() {
                @Override
                public void acquireFinished(String name, LockMode mode, String b, Outcome outcome, long waitNanos) {
                    if (name.equals("slow")) {
                        inListener.countDown();
                        try {
                            unblock.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }
            });
            CompletableFuture<Void> slow = CompletableFuture.runAsync(() -> {
                try {
                    backend.lock("slow").acquire(PATIENCE).release();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }, threads);
            assertTrue(inListener.await(10, TimeUnit.SECONDS));
            CompletableFuture<Void> other = CompletableFuture.runAsync(() -> {
                try {
                    backend.lock("other").acquire(PATIENCE).release();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }, threads);
            other.get(10, TimeUnit.SECONDS);
            unblock.countDown();
            slow.get(10, TimeUnit.SECONDS);
        } finally {
            threads.shutdownNow();
        }
    }
}
