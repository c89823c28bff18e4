package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A release of a mutex or of one semaphore permit can let in one waiter, so it wakes one
 * waiter of this process, not all of them: with every waiter woken, each handoff cost one
 * failed acquire round trip per remaining waiter (the rate-limiting scenario lost a tenth of
 * its permit time to them, 5,000 virtual threads on 10 mutexes hundreds of round trips per
 * handoff). Counted by the server ({@code INFO commandstats}), not timed: waiters retry on a
 * timer of one hour, so every attempt after the release comes from a wake-up.
 */
class RedisWakeOneTest {
    private static final int WAITERS = 8;
    private RedisServer server;

    @BeforeEach
    void start() throws Exception {
        server = RedisServer.start();
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    @Test
    void releasesOfAMutex_wakeOneWaiterEach() throws Exception {
        handoffs(locks -> locks.lock("one"), 1);
    }

    @Test
    void releasesOfSemaphorePermits_wakeOneWaiterEach() throws Exception {
        handoffs(locks -> locks.semaphore("some", 2), 2);
    }

    /**
     * The test holds every permit of {@code kind}, {@value #WAITERS} threads queue up for one
     * each (acquire, hold 20 ms, release), and the test releases: each waiter should need one attempt,
     * plus a few where a waiter woken by one release loses to one woken by another.
     */
    private void handoffs(Function<LockProvider, DistributedLock> kind, int permits) throws Exception {
        try (LockProvider locks = LockProvider.open("redis://" + server.address() + "?retry=fixed:1h")) {
            DistributedLock lock = kind.apply(locks);
            lock.acquire().release(); // scripts loaded, connections open
            List<LockHandle> held = new ArrayList<>();
            for (int i = 0; i < permits; i++) held.add(lock.acquire());
            long parkedCalls = server.scriptCalls() + 2L * WAITERS; // each waiter: one try before subscribing, one after
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> waiters = new ArrayList<>();
            for (int i = 0; i < WAITERS; i++) {
                Thread t = new Thread(() -> {
                    try {
                        try (LockHandle h = lock.acquire(java.time.Duration.ofSeconds(60))) {
                            Thread.sleep(20); // the other waiters, if woken, try while this one holds
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "waiter-" + i);
                waiters.add(t);
                t.start();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (server.scriptCalls() < parkedCalls) {
                assertTrue(System.nanoTime() < deadline, "the waiters did not all try twice: " + server.scriptCalls() + " of " + parkedCalls + " calls");
                Thread.sleep(5);
            }
            Thread.sleep(200); // parked now: nothing retries for an hour
            long before = server.scriptCalls();
            assertTrue(before == parkedCalls, "waiters retried while parked: " + (before - parkedCalls) + " extra calls");
            for (LockHandle h : held) h.release();
            for (Thread t : waiters) t.join(TimeUnit.SECONDS.toMillis(60));
            if (failure.get() != null) throw new AssertionError("a waiter failed", failure.get());
            long acquires = server.scriptCalls() - before - permits - WAITERS; // minus the releases
            assertTrue(acquires <= WAITERS + WAITERS / 2,
                    acquires + " acquire attempts for " + WAITERS + " waiters after the release: a release woke more than one waiter");
        }
    }
}
