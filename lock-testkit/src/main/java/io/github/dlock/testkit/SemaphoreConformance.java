package io.github.dlock.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.LockHolder;
import io.github.dlock.LockMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Counting semaphores: never more than N holders, N available at once, one permit is a mutex. */
public abstract class SemaphoreConformance extends ConformanceTestBase {

    @Test
    void permits_letExactlyNHoldersInAtOnce_acrossProviders() throws Exception {
        DistributedSemaphore a = provider.semaphore(name("sem"), 3);
        DistributedSemaphore b = openAnotherProvider().semaphore(name("sem"), 3);
        List<LockHandle> held = new ArrayList<>();
        held.add(a.tryAcquire().orElseThrow());
        held.add(b.tryAcquire().orElseThrow());
        held.add(a.tryAcquire().orElseThrow());
        assertEquals(Optional.empty(), a.tryAcquire());
        assertEquals(Optional.empty(), b.tryAcquire(Duration.ofMillis(100)));
        held.remove(0).release();
        held.add(b.tryAcquire(PATIENCE).orElseThrow());
        for (LockHandle h : held) h.release();
        assertEquals(3, a.permits());
    }

    @Test
    void availablePermits_countsThePermitHoldersOfEveryProvider() throws Exception {
        DistributedSemaphore a = provider.semaphore(name("avail"), 3);
        LockProvider otherProvider = openAnotherProvider();
        DistributedSemaphore b = otherProvider.semaphore(name("avail"), 3);
        assertEquals(3, a.availablePermits());
        LockHandle one = a.acquire(PATIENCE);
        LockHandle two = b.acquire(PATIENCE);
        assertEquals(1, a.availablePermits());
        assertEquals(1, b.availablePermits());
        LockHandle three = b.acquire(PATIENCE);
        assertEquals(0, a.availablePermits());
        one.release();
        two.release();
        three.release();
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(3); // Redlock: releases finish in the background
        while (a.availablePermits() != 3 && System.nanoTime() < end) Thread.sleep(10);
        assertEquals(3, a.availablePermits());
        try (LockHandle mutex = provider.lock(name("avail")).acquire(PATIENCE)) {
            assertEquals(3, a.availablePermits(), "a mutex of the same name is another lock");
        }
        otherProvider.close();
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, b::availablePermits);
    }

    @Test
    void concurrentHolders_neverExceedThePermits() throws Exception {
        DistributedSemaphore sem = provider.semaphore(name("sem"), 3);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger highWater = new AtomicInteger();
        java.util.concurrent.CountDownLatch firstThreeInside = new java.util.concurrent.CountDownLatch(3);
        java.util.concurrent.atomic.AtomicBoolean metInside = new java.util.concurrent.atomic.AtomicBoolean(true);
        runConcurrently(8, () -> {
            for (int i = 0; i < 20; i++) {
                try (LockHandle permit = sem.acquire(PATIENCE)) {
                    int now = inside.incrementAndGet();
                    highWater.accumulateAndGet(now, Math::max);
                    if (firstThreeInside.getCount() > 0) { // the first three in must be able to be inside together
                        firstThreeInside.countDown();
                        if (!firstThreeInside.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)) metInside.set(false);
                    }
                    work(Duration.ofMillis(1));
                    inside.decrementAndGet();
                }
            }
            return null;
        });
        assertTrue(highWater.get() <= 3, "high-water mark " + highWater.get() + " exceeds 3 permits");
        assertTrue(metInside.get(), "three holders of a 3-permit semaphore could not be inside at once");
        assertEquals(3, highWater.get());
    }

    @Test
    void onePermit_behavesAsAMutex() throws Exception {
        DistributedSemaphore sem = provider.semaphore(name("sem1"), 1);
        int[] counter = {0};
        runConcurrently(8, () -> {
            for (int i = 0; i < 25; i++) {
                try (LockHandle permit = sem.acquire(PATIENCE)) {
                    int read = counter[0];
                    Thread.yield();
                    counter[0] = read + 1;
                }
            }
            return null;
        });
        assertEquals(200, counter[0]);
    }

    @Test
    void fencingTokens_increaseAcrossPermitHolders() throws Exception {
        DistributedSemaphore sem = provider.semaphore(name("sem"), 2);
        long last = 0;
        for (int i = 0; i < 5; i++) {
            try (LockHandle p = sem.acquire(PATIENCE)) {
                assertTrue(p.fencingToken() > last);
                last = p.fencingToken();
            }
        }
    }

    @Test
    void holders_reportOnePermitHolderPerPermitTaken() throws Exception {
        DistributedSemaphore sem = provider.semaphore(name("sem"), 4);
        try (LockHandle p1 = sem.acquire(); LockHandle p2 = sem.acquire()) {
            List<LockHolder> holders = openAnotherProvider().holders(name("sem"));
            assertEquals(2, holders.size(), holders.toString());
            assertTrue(holders.stream().allMatch(h -> h.mode() == LockMode.PERMIT));
        }
        assertNoHoldersSoon(name("sem"));
    }
}
