package io.github.dlock.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockHandle;
import io.github.dlock.RetryStrategy;
import io.github.dlock.testkit.ChildJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interrupts and cancelled futures must never close the channel that carries this JVM's locks
 * on a file (POSIX would then drop every lock the JVM holds on it). A permit held by an
 * untouched thread must survive any storm of interrupts aimed at other threads working on the
 * same file, and must still exclude another process afterwards.
 */
class FileInterruptTest {
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    Path temp;

    @Test
    void acquireAsyncCancelStorm_andInterruptStorm_neverDropAPermitHeldByAnotherThread() throws Exception {
        // Permit 0 is held here by an untouched handle, permit 1 by another process, so that every
        // waiter below polls the OS lock (I/O on the shared channel) instead of waiting in memory.
        try (FileLockProvider locks = FileLockProvider.builder().directory(temp).retryStrategy(RetryStrategy.fixed(Duration.ofMillis(1))).build()) {
            DistributedSemaphore sem = locks.semaphore("pool", 2);
            LockHandle mine = sem.acquire(PATIENCE);
            try (ChildJvm other = ChildJvm.start("hold", temp.toUri().toString(), "pool", "permit:2")) {
                other.awaitLine("HELD", PATIENCE);
                ConcurrentLinkedQueue<Throwable> wrongOutcomes = new ConcurrentLinkedQueue<>();

                // 1. acquireAsync + cancel(true), which interrupts the worker mid-poll.
                for (int round = 0; round < 1500 && !mine.isLost(); round++) {
                    CompletableFuture<LockHandle> f = sem.acquireAsync(PATIENCE);
                    LockSupport.parkNanos((round % 50) * 20_000L);
                    f.cancel(true);
                    try {
                        f.join().release();
                        wrongOutcomes.add(new AssertionError("acquired a third permit of two"));
                    } catch (CancellationException expected) {
                        // the only right outcome
                    }
                }
                assertFalse(mine.isLost(), "cancelling acquireAsync dropped the permit held by another thread");

                // 2. A waiting thread interrupted over and over; it must only ever see InterruptedException.
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger interruptedWaits = new AtomicInteger();
                Thread waiter = new Thread(() -> {
                    while (!stop.get()) {
                        try {
                            sem.acquire(PATIENCE).release();
                            wrongOutcomes.add(new AssertionError("acquired a third permit of two"));
                        } catch (InterruptedException e) {
                            interruptedWaits.incrementAndGet();
                        } catch (Throwable t) {
                            wrongOutcomes.add(t);
                        }
                    }
                });
                Thread holdersReader = new Thread(() -> {
                    while (!stop.get()) {
                        try {
                            Thread.currentThread().interrupt();
                            locks.holders("pool");
                        } catch (Throwable t) {
                            wrongOutcomes.add(t);
                        } finally {
                            Thread.interrupted();
                        }
                    }
                });
                waiter.start();
                holdersReader.start();
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                while (System.nanoTime() < end && !mine.isLost()) {
                    waiter.interrupt();
                    holdersReader.interrupt();
                    LockSupport.parkNanos(10_000);
                }
                stop.set(true);
                waiter.interrupt();
                waiter.join(PATIENCE.toMillis());
                holdersReader.join(PATIENCE.toMillis());

                assertEquals(List.of(), List.copyOf(wrongOutcomes), "interrupted callers must get InterruptedException and nothing else");
                assertTrue(interruptedWaits.get() > 0, "the storm never interrupted a wait");
                assertFalse(mine.isLost(), "interrupting other threads dropped the permit held by an untouched thread");
                assertEquals(Optional.empty(), sem.tryAcquire(), "a third permit of two was handed out");
                try (ChildJvm probe = ChildJvm.start("probe", temp.toUri().toString(), "pool", "permit:2")) {
                    probe.awaitLine("BLOCKED", PATIENCE); // the OS lock of our permit still excludes another process
                }
                other.closeInput();
                other.awaitLine("RELEASED", PATIENCE);
            }
            assertFalse(mine.isLost());
            mine.release();
        }
    }
}
