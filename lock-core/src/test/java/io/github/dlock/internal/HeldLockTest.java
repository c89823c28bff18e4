package io.github.dlock.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockHandle;
import io.github.dlock.spi.HeldLock;
import io.github.dlock.spi.Ticker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The loss signal: where its callbacks run, and that it is one stage per handle. */
class HeldLockTest {

    @Test
    void lost_returnsTheSameStage_onEveryCall() throws Exception {
        try (MemoryBackend backend = new MemoryBackend(); LockHandle h = backend.lock("a").acquire()) {
            assertSame(h.lost(), h.lost());
            assertFalse(h.lost().toCompletableFuture().isDone());
        }
    }

    @Test
    void lostCallbacks_runOffTheRenewerThread_soABlockingCallbackDelaysNoOtherLoss() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            LockHandle a = backend.lock("a").acquire();
            LockHandle b = backend.lock("b").acquire();
            HeldLock heldA = ((DefaultLockHandle) a).held();
            HeldLock heldB = ((DefaultLockHandle) b).held();
            CountDownLatch unblock = new CountDownLatch(1);
            CompletableFuture<Thread> ranOn = new CompletableFuture<>();
            CountDownLatch bothRan = new CountDownLatch(2);
            for (LockHandle h : List.of(a, b)) {
                h.lost().thenRun(() -> {
                    ranOn.complete(Thread.currentThread());
                    bothRan.countDown();
                    try {
                        unblock.await(); // a callback that blocks, as the CLI's own does for up to 10 s
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            // Every renewal finds both leases gone: whichever is marked lost first must not stop the other.
            LeaseRenewer<HeldLock> renewer = new LeaseRenewer<>("test-renewer", Duration.ofSeconds(30), Duration.ofMillis(20), Ticker.system(),
                    (locks, lease) -> locks.stream().collect(Collectors.toMap(l -> l, l -> LeaseRenewer.Outcome.GONE)));
            try {
                renewer.register(heldA, System.nanoTime());
                renewer.register(heldB, System.nanoTime());
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!(a.isLost() && b.isLost()) && System.nanoTime() < deadline) Thread.sleep(10);
                assertTrue(a.isLost() && b.isLost(), "a blocking lost() callback stopped the renewer: a lost=" + a.isLost() + ", b lost=" + b.isLost());
                Thread callbackThread = ranOn.get(10, TimeUnit.SECONDS);
                assertFalse(callbackThread.getName().startsWith("test-renewer"), "callback ran on the renewer thread " + callbackThread);
                // Each loss's callbacks run on a thread of their own: a's blocked callback does not hold up b's.
                // (Not lost().get(): a future made from lost() after completion began may be completed behind the blocked callback.)
                assertTrue(bothRan.await(10, TimeUnit.SECONDS), "one blocking lost() callback held up the other lock's");
            } finally {
                unblock.countDown();
                renewer.close();
            }
            a.release();
            b.release();
        }
    }

    @Test
    void loss_wakesLocalWaitersOnce_beforeLostCompletes_andReleaseDoesNot() {
        java.util.concurrent.atomic.AtomicInteger wakes = new java.util.concurrent.atomic.AtomicInteger();
        java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        class Counting extends HeldLock {
            Counting() {
                super("a", 1);
            }

            @Override
            protected void releaseInBackend() {}

            @Override
            protected void wakeLocalWaiters() {
                wakes.incrementAndGet();
                seen.add("lost=" + isLost() + " completed=" + lostStage().toCompletableFuture().isDone());
            }
        }
        Counting lost = new Counting();
        lost.markLost("first");
        lost.markLost("second");
        assertTrue(wakes.get() == 1, "woken " + wakes.get() + " times");
        assertTrue(seen.get(0).equals("lost=true completed=false"), seen.get(0));
        Counting released = new Counting();
        released.release();
        released.markLost("after release");
        assertTrue(wakes.get() == 1, "a released lock woke waiters on a later loss report");
    }

    @Test
    void isLost_isTrueWhenMarkLostReturns_andCallbacksRunOnALossThread() throws Exception {
        try (MemoryBackend backend = new MemoryBackend(); LockHandle h = backend.lock("a").acquire()) {
            CompletableFuture<String> thread = new CompletableFuture<>();
            h.lost().thenRun(() -> thread.complete(Thread.currentThread().getName()));
            ((DefaultLockHandle) h).held().markLost("test");
            assertTrue(h.isLost());
            assertNotEquals(Thread.currentThread().getName(), thread.get(10, TimeUnit.SECONDS));
        }
    }
}
