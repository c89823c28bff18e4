package io.github.dlock.micrometer;

import static io.github.dlock.micrometer.Meters.assertCount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedLock;
import io.github.dlock.DistributedReadWriteLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockHolder;
import io.github.dlock.LockProvider;
import io.github.dlock.LockTimeoutException;
import io.github.dlock.file.FileLockProvider;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every meter of {@link DlockMetrics} on the file backend, after a known sequence of operations. */
class DlockMetricsFileTest {
    @TempDir
    Path dir;

    @Test
    void aKnownSequence_countsEveryAcquireOutcome_release_loss_andTheHeldGauge() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (LockProvider locks = FileLockProvider.builder().directory(dir).build();
                DlockMetrics metrics = new DlockMetrics(locks, Tags.of("app", "orders"))) {
            metrics.bindTo(registry);
            Meters m = new Meters(registry, "file");
            assertCount(0, m.heldLocks(), "nothing held yet");

            DistributedLock mutex = locks.lock("m");
            LockHandle h = mutex.acquire(Duration.ofSeconds(5));
            assertCount(1, m.heldLocks(), "one mutex held");
            assertTrue(mutex.tryAcquire().isEmpty());
            assertThrows(LockTimeoutException.class, () -> mutex.acquire(Duration.ofMillis(50)));
            AtomicReference<Throwable> waiterGot = new AtomicReference<>();
            Thread waiter = new Thread(() -> {
                try {
                    mutex.acquire().release();
                } catch (Throwable t) {
                    waiterGot.set(t);
                }
            });
            waiter.start();
            waiter.interrupt();
            waiter.join();
            assertTrue(waiterGot.get() instanceof InterruptedException, "the waiter got " + waiterGot.get());
            h.release();

            DistributedReadWriteLock rw = locks.readWriteLock("rw");
            LockHandle r1 = rw.readLock().acquire(Duration.ofSeconds(5));
            LockHandle r2 = rw.readLock().acquire(Duration.ofSeconds(5));
            assertTrue(rw.writeLock().tryAcquire().isEmpty());
            assertCount(2, m.heldLocks(), "two readers");
            r1.release();
            r2.release();
            rw.writeLock().acquire(Duration.ofSeconds(5)).release();
            locks.semaphore("s", 2).acquire(Duration.ofSeconds(5)).release();

            LockHandle doomed = locks.lock("doomed").acquire(Duration.ofSeconds(5));
            try (Stream<Path> files = Files.list(dir)) {
                for (Path p : files.filter(p -> p.getFileName().toString().startsWith("doomed")).toList()) Files.delete(p);
            }
            Meters.await(() -> m.lost("mutex") == 1, "the deleted lock file to be reported lost");
            assertTrue(doomed.isLost());
            doomed.release();
            assertCount(0, m.heldLocks(), "everything released");

            assertEquals(2, m.acquires("mutex", "acquired"), "m and doomed; not the interrupted waiter");
            assertEquals(1, m.acquires("mutex", "empty"));
            assertEquals(1, m.acquires("mutex", "timeout"));
            assertEquals(1, m.acquires("mutex", "interrupted"));
            assertEquals(2, m.acquires("read", "acquired"));
            assertEquals(1, m.acquires("write", "empty"));
            assertEquals(1, m.acquires("write", "acquired"));
            assertEquals(1, m.acquires("permit", "acquired"));
            assertEquals(10, m.allAcquires(), "no other attempts were recorded");
            assertEquals(2, m.releases("mutex"));
            assertEquals(2, m.releases("read"));
            assertEquals(1, m.releases("write"));
            assertEquals(1, m.releases("permit"));
            assertCount(0, m.lost("read"), "only the mutex was lost");
            assertCount(0, m.renewalRoundTrips(), "file locks have no lease to renew");
            assertCount(0, m.renewalFailures(), "file locks have no lease to renew");
            for (Meter meter : registry.getMeters()) {
                assertTrue(meter.getId().getTags().contains(Tag.of("app", "orders")), "extra tag missing on " + meter.getId());
                assertEquals("file", meter.getId().getTag("backend"), meter.getId().toString());
            }

            metrics.close();
            assertEquals(List.of(), registry.getMeters(), "close removes the meters");
            locks.lock("after").acquire(Duration.ofSeconds(5)).release();
            assertEquals(List.of(), registry.getMeters(), "and the listener: nothing recorded after close");
            assertThrows(IllegalStateException.class, () -> metrics.bindTo(registry));
        }
    }

    @Test
    void locksHeldBeforeBinding_countInTheGauge_andTwoRegistriesEachGetEverything() throws Exception {
        SimpleMeterRegistry one = new SimpleMeterRegistry();
        SimpleMeterRegistry two = new SimpleMeterRegistry();
        try (LockProvider locks = FileLockProvider.builder().directory(dir).build()) {
            LockHandle early = locks.lock("early").acquire(Duration.ofSeconds(5));
            DlockMetrics metrics = new DlockMetrics(locks);
            metrics.bindTo(one);
            metrics.bindTo(two);
            Meters a = new Meters(one, "file");
            Meters b = new Meters(two, "file");
            assertCount(1, a.heldLocks(), "the gauge counts locks held before binding");
            locks.lock("late").acquire(Duration.ofSeconds(5)).release();
            early.release(); // acquired before binding: its hold time is unknown, not recorded
            for (Meters m : List.of(a, b)) {
                assertEquals(1, m.acquires("mutex", "acquired"));
                assertEquals(1, m.releases("mutex"));
                assertCount(0, m.heldLocks(), "released");
            }
            metrics.close();
            metrics.close(); // idempotent
            assertEquals(List.of(), one.getMeters());
            assertEquals(List.of(), two.getMeters());
        }
    }

    @Test
    void badArguments_areRefusedWithTheirName() throws Exception {
        try (LockProvider locks = FileLockProvider.builder().directory(dir).build()) {
            assertEquals("provider", assertThrows(NullPointerException.class, () -> new DlockMetrics(null)).getMessage());
            assertEquals("tags", assertThrows(NullPointerException.class, () -> new DlockMetrics(locks, null)).getMessage());
            IllegalArgumentException reserved = assertThrows(IllegalArgumentException.class, () -> new DlockMetrics(locks, Tags.of("kind", "x")));
            assertTrue(reserved.getMessage().contains("'kind'"), reserved.getMessage());
            try (DlockMetrics metrics = new DlockMetrics(locks)) {
                assertEquals("registry", assertThrows(NullPointerException.class, () -> metrics.bindTo(null)).getMessage());
            }
            LockProvider foreign = new LockProvider() {
                @Override
                public DistributedLock lock(String name) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public DistributedReadWriteLock readWriteLock(String name) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public io.github.dlock.DistributedSemaphore semaphore(String name, int permits) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public List<LockHolder> holders(String name) {
                    return List.of();
                }

                @Override
                public void close() {}
            };
            assertThrows(UnsupportedOperationException.class, () -> new DlockMetrics(foreign));
        }
        LockProvider closed = FileLockProvider.builder().directory(dir).build();
        closed.close();
        DlockMetrics late = new DlockMetrics(closed);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        assertThrows(IllegalStateException.class, () -> late.bindTo(registry));
        assertEquals(List.of(), registry.getMeters(), "a failed bind leaves no meters behind");
    }
}
