package io.github.dlock.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The shared-cache scenario: {@value #READERS} reader threads take the read side of one
 * reader-writer lock in a loop (read the cache, release), while one writer refreshes it every
 * {@value #REFRESH_MILLIS} ms under the write side. Measured: read acquisitions per second, and
 * the writer's wait (request to grant) — with writer preference it is bounded by the reads in
 * flight, not by the stream of new ones. The cache is a plain array the readers check: a reader
 * that sees a half-written refresh, or a write that overlaps a read, fails the run.
 */
final class SharedCache {
    static final int READERS = 8;
    static final long REFRESH_MILLIS = 50;
    private static final int CACHE_WORDS = 16;

    /** The read and write sides of one reader-writer lock of some library; each call on the thread that holds it. */
    interface ReadWriteLock {
        void lockRead() throws Exception;

        void unlockRead() throws Exception;

        void lockWrite() throws Exception;

        void unlockWrite() throws Exception;
    }

    /** One run's figures. */
    record Result(double readsPerSecond, Handoff.Samples writerWaits, long refreshes) {}

    private SharedCache() {}

    static Result run(ReadWriteLock lock, long millis) throws InterruptedException {
        AtomicLongArray cache = new AtomicLongArray(CACHE_WORDS); // volatile words: a torn refresh is seen, not hidden by caching
        AtomicLong readers = new AtomicLong();
        AtomicBoolean writing = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        Throwable[] failure = new Throwable[1];
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < READERS; i++) {
            threads.add(new Thread(() -> {
                try {
                    start.await();
                    long mine = 0;
                    while (!stop.get()) {
                        lock.lockRead();
                        readers.incrementAndGet();
                        if (writing.get()) throw new IllegalStateException("a read overlapped a refresh");
                        long first = cache.get(0);
                        for (int w = 1; w < CACHE_WORDS; w++) {
                            if (cache.get(w) != first) throw new IllegalStateException("a reader saw a half-written refresh");
                        }
                        readers.decrementAndGet();
                        lock.unlockRead();
                        mine++;
                    }
                    reads.addAndGet(mine);
                } catch (Throwable e) {
                    failure[0] = e;
                    stop.set(true);
                }
            }, "cache-reader-" + i));
        }
        long[] waits = new long[(int) (millis / REFRESH_MILLIS) + 16];
        int[] refreshes = new int[1];
        threads.add(new Thread(() -> {
            try {
                start.await();
                long next = System.nanoTime();
                while (!stop.get()) {
                    next += TimeUnit.MILLISECONDS.toNanos(REFRESH_MILLIS);
                    long asked = System.nanoTime();
                    lock.lockWrite();
                    long got = System.nanoTime();
                    writing.set(true);
                    if (readers.get() != 0) throw new IllegalStateException("a refresh overlapped a read");
                    long value = cache.get(0) + 1;
                    for (int w = 0; w < CACHE_WORDS; w++) cache.set(w, value);
                    writing.set(false);
                    lock.unlockWrite();
                    if (refreshes[0] < waits.length) waits[refreshes[0]++] = got - asked;
                    long pause = next - System.nanoTime();
                    if (pause > 0) TimeUnit.NANOSECONDS.sleep(pause);
                }
            } catch (Throwable e) {
                failure[0] = e;
                stop.set(true);
            }
        }, "cache-writer"));
        threads.forEach(Thread::start);
        long t0 = System.nanoTime();
        start.countDown();
        Thread.sleep(millis);
        stop.set(true);
        for (Thread t : threads) t.join();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (failure[0] != null) throw new IllegalStateException("shared-cache run failed: " + failure[0], failure[0]);
        long[] sorted = Arrays.copyOf(waits, refreshes[0]);
        Arrays.sort(sorted);
        return new Result(reads.get() / seconds, new Handoff.Samples(sorted), refreshes[0]);
    }
}
