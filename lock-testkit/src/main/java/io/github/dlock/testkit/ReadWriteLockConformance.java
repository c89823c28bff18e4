package io.github.dlock.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.dlock.DistributedReadWriteLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockHolder;
import io.github.dlock.LockMode;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Reader-writer semantics: readers share, a writer is alone, a waiting writer is not starved. */
public abstract class ReadWriteLockConformance extends ConformanceTestBase {

    @Test
    void readers_shareTheLock_acrossProviders() throws Exception {
        DistributedReadWriteLock rw = provider.readWriteLock(name("rw"));
        DistributedReadWriteLock other = openAnotherProvider().readWriteLock(name("rw"));
        try (LockHandle r1 = rw.readLock().acquire(PATIENCE);
                LockHandle r2 = rw.readLock().acquire(PATIENCE);
                LockHandle r3 = other.readLock().acquire(PATIENCE)) {
            assertTrue(r3.fencingToken() > r1.fencingToken());
            assertEquals(Optional.empty(), rw.writeLock().tryAcquire());
            assertEquals(Optional.empty(), other.writeLock().tryAcquire());
        }
        // Redlock's release returns once enough servers confirmed it; three readers' releases may
        // have reached different majorities, so the writer may wait for the slowest server briefly
        rw.writeLock().tryAcquire(PATIENCE).orElseThrow().release();
    }

    @Test
    void writer_excludesReadersAndWriters() throws Exception {
        DistributedReadWriteLock rw = provider.readWriteLock(name("rw"));
        DistributedReadWriteLock other = openAnotherProvider().readWriteLock(name("rw"));
        try (LockHandle w = rw.writeLock().acquire(PATIENCE)) {
            assertEquals(Optional.empty(), rw.readLock().tryAcquire());
            assertEquals(Optional.empty(), rw.writeLock().tryAcquire());
            assertEquals(Optional.empty(), other.readLock().tryAcquire(Duration.ofMillis(100)));
            assertEquals(Optional.empty(), other.writeLock().tryAcquire());
        }
        other.readLock().tryAcquire().orElseThrow().release();
    }

    @Test
    void writerWaitingBlocksNewReaders_andGetsTheLockWhenReadersLeave() throws Exception {
        DistributedReadWriteLock rw = provider.readWriteLock(name("rw"));
        DistributedReadWriteLock other = openAnotherProvider().readWriteLock(name("rw"));
        LockHandle firstReader = rw.readLock().acquire(PATIENCE);
        CompletableFuture<LockHandle> writer = other.writeLock().acquireAsync(PATIENCE);
        // New readers get in until the writer starts waiting; from then on they must queue.
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (true) {
            Optional<LockHandle> reader = rw.readLock().tryAcquire();
            if (reader.isEmpty()) break;
            reader.get().release();
            if (System.nanoTime() > deadline) fail("new readers kept getting in while a writer waited");
        }
        assertFalse(writer.isDone(), "the writer got in while a reader held the lock");
        assertEquals(Optional.empty(), other.readLock().tryAcquire(), "a reader of the writer's provider got in too");
        firstReader.release();
        try (LockHandle w = writer.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
            assertEquals(Optional.empty(), rw.readLock().tryAcquire());
        }
        rw.readLock().tryAcquire(PATIENCE).orElseThrow().release();
    }

    @Test
    void writer_isNotStarvedByAStreamOfOverlappingReaders() throws Exception {
        DistributedReadWriteLock rw = provider.readWriteLock(name("rw"));
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch readersRunning = new CountDownLatch(4);
        AtomicInteger readerFailures = new AtomicInteger();
        Thread[] readers = new Thread[4];
        for (int i = 0; i < readers.length; i++) {
            // Hand over hand: each reader takes its next read hold before giving up the last, so
            // the read lock is never free; only writer preference (new readers queue behind a
            // waiting writer) lets the writer in. A reader refused for a moment lets go, waits
            // its turn and goes on.
            readers[i] = new Thread(() -> {
                LockHandle current = null;
                try {
                    current = rw.readLock().acquire(PATIENCE);
                    readersRunning.countDown();
                    while (!stop.get()) {
                        work(Duration.ofMillis(2));
                        Optional<LockHandle> next = rw.readLock().tryAcquire(Duration.ofMillis(50));
                        if (next.isPresent()) {
                            current.release();
                            current = next.get();
                        } else {
                            current.release();
                            current = null;
                            current = rw.readLock().acquire(PATIENCE);
                        }
                    }
                } catch (Exception e) {
                    readerFailures.incrementAndGet();
                } finally {
                    if (current != null) current.release();
                }
            });
            readers[i].start();
        }
        try {
            assertTrue(readersRunning.await(PATIENCE.toSeconds(), TimeUnit.SECONDS));
            try (LockHandle w = openAnotherProvider().readWriteLock(name("rw")).writeLock().tryAcquire(PATIENCE)
                    .orElseThrow(() -> new AssertionError("writer starved by readers"))) {
                assertTrue(w.fencingToken() > 0);
            }
        } finally {
            stop.set(true);
            for (Thread t : readers) t.join(PATIENCE.toMillis());
        }
        assertEquals(0, readerFailures.get());
    }

    @Test
    void writers_loseNoUpdate_andReadersSeeAStableValue() throws Exception {
        DistributedReadWriteLock rw = provider.readWriteLock(name("rw"));
        int[] value = {0};
        AtomicInteger unstableReads = new AtomicInteger();
        AtomicInteger turn = new AtomicInteger();
        runConcurrently(8, () -> {
            boolean writer = turn.getAndIncrement() % 2 == 0;
            for (int i = 0; i < 40; i++) {
                if (writer) {
                    try (LockHandle w = rw.writeLock().acquire(PATIENCE)) {
                        int read = value[0];
                        Thread.yield();
                        value[0] = read + 1;
                    }
                } else {
                    try (LockHandle r = rw.readLock().acquire(PATIENCE)) {
                        int first = value[0];
                        Thread.yield();
                        if (value[0] != first) unstableReads.incrementAndGet();
                    }
                }
            }
            return null;
        });
        assertEquals(4 * 40, value[0]);
        assertEquals(0, unstableReads.get(), "a value changed under a read lock");
    }

    @Test
    void holders_reportReadersAndWriter() throws Exception {
        DistributedReadWriteLock rw = provider.readWriteLock(name("rw"));
        try (LockHandle r1 = rw.readLock().acquire(); LockHandle r2 = rw.readLock().acquire()) {
            List<LockMode> modes = provider.holders(name("rw")).stream().map(LockHolder::mode).collect(Collectors.toList());
            assertEquals(List.of(LockMode.READ, LockMode.READ), modes);
        }
        try (LockHandle w = rw.writeLock().acquire()) {
            List<LockMode> modes = provider.holders(name("rw")).stream().map(LockHolder::mode).collect(Collectors.toList());
            assertEquals(List.of(LockMode.WRITE), modes);
        }
        assertNoHoldersSoon(name("rw"));
    }

    @Test
    void readAndWriteSides_reportTheirModes() {
        DistributedReadWriteLock rw = provider.readWriteLock(name("rw"));
        assertEquals(LockMode.READ, rw.readLock().mode());
        assertEquals(LockMode.WRITE, rw.writeLock().mode());
        assertEquals(name("rw"), rw.name());
    }
}
