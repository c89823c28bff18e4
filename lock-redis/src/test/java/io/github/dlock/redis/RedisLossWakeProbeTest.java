package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockHandle;
import io.github.dlock.LockMode;
import io.github.dlock.LockProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Review probe (issue 12 item 11): a semaphore's permits broken from outside (DEL of its
 * sorted set) wake this provider's waiters, and no more of them get in than there are permits;
 * the holders are reported lost. Waiters use retry=fixed:1m, so only wakes move them.
 */
class RedisLossWakeProbeTest {
    @Test
    void brokenPermits_wakeWaiters_butNoMoreThanThePermitsGetIn() throws Exception {
        RedisBackend backend = RedisBackend.single();
        String name = "review12b-" + java.util.UUID.randomUUID();
        try (LockProvider locks = LockProvider.open(backend.url + "&retry=fixed:1m")) {
            DistributedSemaphore sem = locks.semaphore(name, 2);
            LockHandle h1 = sem.acquire(Duration.ofSeconds(10));
            LockHandle h2 = sem.acquire(Duration.ofSeconds(10));
            List<CompletableFuture<LockHandle>> waiters = new ArrayList<>();
            for (int i = 0; i < 4; i++) waiters.add(sem.acquireAsync(Duration.ofSeconds(25)));
            Thread.sleep(500);
            long start = System.nanoTime();
            backend.breakLockExternally(name, LockMode.PERMIT);
            h1.lost().toCompletableFuture().get(20, TimeUnit.SECONDS);
            h2.lost().toCompletableFuture().get(20, TimeUnit.SECONDS);
            long lostMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (waiters.stream().filter(CompletableFuture::isDone).count() < 2 && System.nanoTime() < until) Thread.sleep(10);
            long wokenMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            Thread.sleep(2000); // would any more get in?
            long done = waiters.stream().filter(CompletableFuture::isDone).count();
            System.out.println("PROBE redis loss wake: holders lost after " + lostMs + " ms; 2 waiters in after " + wokenMs + " ms; done after 2 s more: " + done);
            assertEquals(2, done, "waiters that got a permit after the loss");
            for (CompletableFuture<LockHandle> w : waiters) {
                if (w.isDone()) {
                    assertTrue(!w.join().isLost());
                    w.join().release();
                }
            }
            for (CompletableFuture<LockHandle> w : waiters) w.get(20, TimeUnit.SECONDS).release();
            h1.release();
            h2.release();
        }
    }
}
