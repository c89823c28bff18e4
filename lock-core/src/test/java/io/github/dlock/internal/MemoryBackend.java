package io.github.dlock.internal;

import io.github.dlock.DistributedLock;
import io.github.dlock.DistributedSemaphore;
import io.github.dlock.RetryStrategy;
import io.github.dlock.spi.HeldLock;
import io.github.dlock.spi.Ticker;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-memory backend for core's unit tests: real waiting through {@link AcquireLoop} and a
 * {@link WakeSignal}, no store. Mutexes and semaphores by name, in one JVM.
 */
final class MemoryBackend implements AutoCloseable {
    final ProviderRuntime runtime;
    final AtomicInteger backendReleases = new AtomicInteger();
    private final ConcurrentHashMap<String, AtomicInteger> taken = new ConcurrentHashMap<>();
    private final WakeSignal released = new WakeSignal();
    private final AtomicLong tokens = new AtomicLong();
    /** When set, releases fail in the store (after giving the count back, as a store that dropped the reply). */
    volatile boolean failReleases;
    /** When set, a release waits for it to open (after counting down {@link #releasing}) before it reaches the store. */
    volatile java.util.concurrent.CountDownLatch releaseGate;
    /** Counted down by each release that reaches {@link #releaseGate}. */
    final java.util.concurrent.CountDownLatch releasing = new java.util.concurrent.CountDownLatch(1);
    /** False once {@link #close()} closed the "connections": a release still running then fails, as on a closed pool. */
    private volatile boolean open = true;
    /** The most recent hold granted (to make it lost in tests). */
    volatile Held last;
    private final RetryStrategy retry = RetryStrategy.fixed(Duration.ofMillis(50));

    MemoryBackend() {
        this(Ticker.system());
    }

    /** With the clock {@code ticker} for deadlines and listener times. */
    MemoryBackend(Ticker ticker) {
        runtime = new ProviderRuntime("memory:test", ticker);
    }

    DistributedLock lock(String name) {
        return runtime.lock(name, n -> deadline -> AcquireLoop.run(deadline, retry, released, () -> tryTake(n, 1)));
    }

    DistributedSemaphore semaphore(String name, int permits) {
        return runtime.semaphore(name, permits, (n, p) -> deadline -> AcquireLoop.run(deadline, retry, released, () -> tryTake("sem:" + n, p)));
    }

    /** How many holders {@code name}'s mutex has now. */
    int holders(String name) {
        AtomicInteger n = taken.get(name);
        return n == null ? 0 : n.get();
    }

    private Held tryTake(String key, int permits) {
        AtomicInteger count = taken.computeIfAbsent(key, k -> new AtomicInteger());
        while (true) {
            int now = count.get();
            if (now >= permits) return null;
            if (count.compareAndSet(now, now + 1)) return last = new Held(key, tokens.incrementAndGet(), count);
        }
    }

    @Override
    public void close() {
        runtime.close();
        open = false; // what a backend does next: close its connections
    }

    /** One holder; gives its count back on release. */
    final class Held extends HeldLock {
        private final AtomicInteger count;

        Held(String name, long token, AtomicInteger count) {
            super(name, token);
            this.count = count;
        }

        @Override
        protected void releaseInBackend() {
            java.util.concurrent.CountDownLatch gate = releaseGate;
            if (gate != null) {
                releasing.countDown();
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new io.github.dlock.LockBackendException("test: interrupted at the release gate", e);
                }
            }
            if (!open) throw new io.github.dlock.LockBackendException("test: the connections were closed under the release");
            backendReleases.incrementAndGet();
            count.decrementAndGet();
            released.signalAll();
            if (failReleases) throw new io.github.dlock.LockBackendException("test: the store failed to confirm the release");
        }
    }
}
