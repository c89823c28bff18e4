package io.github.dlock.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockLostException;
import io.github.dlock.LockTimeoutException;
import io.github.dlock.ThreadOwnedLock;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import org.junit.jupiter.api.Test;

/** {@code withLock}/{@code callWithLock} and the {@code asLock()} view over the in-memory backend. */
class ConveniencesTest {

    @Test
    void withLock_runsTheActionHoldingTheLock_andReleasesIt() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            DistributedLock lock = backend.lock("x");
            AtomicInteger holdersInside = new AtomicInteger(-1);
            lock.withLock(Duration.ofSeconds(1), () -> holdersInside.set(backend.holders("x")));
            assertEquals(1, holdersInside.get());
            assertEquals(0, backend.holders("x"));
            long token = lock.withLock(Duration.ofSeconds(1), LockHandle::fencingToken);
            assertTrue(token > 0);
            assertEquals("done", lock.callWithLock(Duration.ofSeconds(1), () -> "done"));
            assertEquals(0, backend.holders("x"));
        }
    }

    @Test
    void withLock_actionFailure_releasesAndRethrowsTheActionsException() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            DistributedLock lock = backend.lock("x");
            IllegalArgumentException thrown = new IllegalArgumentException("boom");
            assertSame(thrown, assertThrows(IllegalArgumentException.class, () -> lock.withLock(Duration.ofSeconds(1), () -> {
                throw thrown;
            })));
            IOException checked = new IOException("io");
            assertSame(checked, assertThrows(IOException.class, () -> lock.callWithLock(Duration.ofSeconds(1), () -> {
                throw checked;
            })));
            assertEquals(0, backend.holders("x"));
        }
    }

    @Test
    void withLock_timeout_doesNotRunTheAction() throws Exception {
        try (MemoryBackend backend = new MemoryBackend(); LockHandle held = backend.lock("x").acquire()) {
            AtomicInteger ran = new AtomicInteger();
            assertThrows(LockTimeoutException.class, () -> backend.lock("x").withLock(Duration.ofMillis(50), ran::incrementAndGet));
            assertThrows(LockTimeoutException.class, () -> backend.lock("x").callWithLock(Duration.ZERO, ran::incrementAndGet));
            assertEquals(0, ran.get());
        }
    }

    @Test
    void withLock_lockLostWhileTheActionRan_throwsLockLostException_notTheResult() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            DistributedLock lock = backend.lock("x");
            LockLostException e = assertThrows(LockLostException.class, () -> lock.withLock(Duration.ofSeconds(1), h -> {
                backend.last.markLost("test: lease expired");
                return "computed";
            }));
            assertTrue(e.getMessage().contains("lost"), e.getMessage());
            assertEquals(0, backend.holders("x"));
        }
    }

    @Test
    void withLock_validatesArguments() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            DistributedLock lock = backend.lock("x");
            assertThrows(NullPointerException.class, () -> lock.withLock(Duration.ofSeconds(1), (Runnable) null));
            assertThrows(NullPointerException.class, () -> lock.callWithLock(Duration.ofSeconds(1), null));
            IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> lock.withLock(Duration.ofSeconds(-1), () -> { }));
            assertTrue(negative.getMessage().contains("timeout"), negative.getMessage());
            assertThrows(NullPointerException.class, () -> lock.withLock(null, () -> { }));
        }
    }

    @Test
    void asLock_isOwnedByTheLockingThread_andUnlockByAnotherThreadThrows() throws Exception {
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (MemoryBackend backend = new MemoryBackend()) {
            ThreadOwnedLock lock = backend.lock("x").asLock();
            lock.lock();
            try {
                assertTrue(lock.isHeldByCurrentThread());
                assertTrue(lock.handle().orElseThrow().fencingToken() > 0);
                Future<?> foreign = other.submit((Runnable) lock::unlock);
                Exception e = assertThrows(Exception.class, () -> foreign.get(10, TimeUnit.SECONDS));
                assertTrue(e.getCause() instanceof IllegalMonitorStateException, String.valueOf(e.getCause()));
                assertEquals(1, backend.holders("x"), "a foreign unlock released the lock");
                assertFalse(other.submit((Callable<Boolean>) lock::tryLock).get(10, TimeUnit.SECONDS), "another thread took a held lock");
            } finally {
                lock.unlock();
            }
            assertEquals(0, backend.holders("x"));
            assertThrows(IllegalMonitorStateException.class, lock::unlock);
            assertTrue(other.submit((Callable<Boolean>) lock::tryLock).get(10, TimeUnit.SECONDS));
            assertEquals(1, backend.holders("x"));
            other.submit((Runnable) lock::unlock).get(10, TimeUnit.SECONDS);
            assertEquals(0, backend.holders("x"));
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    void asLock_isReentrantPerThread_andReleasesOnTheLastUnlock() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            ThreadOwnedLock lock = backend.lock("x").asLock();
            lock.lock();
            assertTrue(lock.tryLock());
            assertTrue(lock.tryLock(1, TimeUnit.SECONDS));
            lock.lockInterruptibly();
            assertEquals(4, lock.getHoldCount());
            assertEquals(1, backend.holders("x"));
            for (int i = 0; i < 3; i++) lock.unlock();
            assertEquals(1, backend.holders("x"));
            lock.unlock();
            assertEquals(0, backend.holders("x"));
            assertEquals(0, lock.getHoldCount());
            assertTrue(lock.handle().isEmpty());
        }
    }

    @Test
    void asLock_threadsExcludeEachOther() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (MemoryBackend backend = new MemoryBackend()) {
            Lock lock = backend.lock("x").asLock();
            AtomicInteger inside = new AtomicInteger();
            AtomicInteger overlaps = new AtomicInteger();
            CompletableFuture<?>[] all = new CompletableFuture<?>[4];
            for (int t = 0; t < 4; t++) {
                all[t] = CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < 50; i++) {
                        lock.lock();
                        try {
                            if (inside.incrementAndGet() > 1) overlaps.incrementAndGet();
                            inside.decrementAndGet();
                        } finally {
                            lock.unlock();
                        }
                    }
                }, pool);
            }
            CompletableFuture.allOf(all).get(60, TimeUnit.SECONDS);
            assertEquals(0, overlaps.get());
            assertEquals(0, backend.holders("x"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void asLock_lock_isNotInterruptible_butKeepsTheInterrupt_lockInterruptiblyAndTimedTryLockThrow() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            LockHandle held = backend.lock("x").acquire();
            ThreadOwnedLock lock = backend.lock("x").asLock();
            CountDownLatch waiting = new CountDownLatch(1);
            AtomicReference<Boolean> interruptKept = new AtomicReference<>();
            Thread t = new Thread(() -> {
                waiting.countDown();
                lock.lock();
                interruptKept.set(Thread.currentThread().isInterrupted());
                lock.unlock();
            });
            t.start();
            waiting.await();
            Thread.sleep(100);
            t.interrupt();
            Thread.sleep(100);
            assertTrue(t.isAlive(), "lock() gave up on an interrupt");
            held.release();
            t.join(10_000);
            assertEquals(Boolean.TRUE, interruptKept.get(), "lock() swallowed the interrupt");

            LockHandle again = backend.lock("x").acquire();
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, lock::lockInterruptibly);
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> lock.tryLock(1, TimeUnit.SECONDS));
            assertFalse(lock.isHeldByCurrentThread());
            again.release();
            assertThrows(UnsupportedOperationException.class, lock::newCondition);
            assertThrows(NullPointerException.class, () -> lock.tryLock(1, null));
        }
    }

    @Test
    void asLock_onASemaphore_letsUpToItsPermitsHoldAtOnce() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            ThreadOwnedLock permits = backend.semaphore("s", 2).asLock();
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                CountDownLatch holding = new CountDownLatch(2);
                CountDownLatch done = new CountDownLatch(1);
                for (int i = 0; i < 2; i++) {
                    pool.submit(() -> {
                        permits.lock();
                        holding.countDown();
                        done.await();
                        permits.unlock();
                        return null;
                    });
                }
                assertTrue(holding.await(10, TimeUnit.SECONDS));
                assertFalse(pool.submit((Callable<Boolean>) permits::tryLock).get(10, TimeUnit.SECONDS));
                done.countDown();
            } finally {
                pool.shutdown();
                assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void asLock_unlockOfALostLock_releasesQuietly() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            ThreadOwnedLock lock = backend.lock("x").asLock();
            lock.lock();
            backend.last.markLost("test");
            assertTrue(lock.handle().orElseThrow().isLost());
            lock.unlock();
            assertFalse(lock.isHeldByCurrentThread());
        }
    }
}
