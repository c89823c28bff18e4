package io.github.dlock.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Contended handoff latency: {@code threads} threads take turns on one lock; each sample is the
 * time from a holder's release call to the next holder having the lock (possibly the same
 * thread, which barging allows in every library measured). {@code System.nanoTime()} is
 * system-wide, so one clock serves all threads.
 */
final class Handoff {
    /** A lock operation pair of any library. */
    interface Lock {
        void lock() throws Exception;

        void unlock() throws Exception;
    }

    /** Sorted samples in nanoseconds, with percentiles. */
    record Samples(long[] sorted) {
        double percentileMillis(double p) {
            if (sorted.length == 0) return Double.NaN;
            return sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))] / 1e6;
        }
    }

    private Handoff() {}

    /** Runs {@code threads} threads on the lock {@code each(i)} gives thread i, for {@code millis}. */
    static Samples measure(int threads, long millis, java.util.function.IntFunction<Lock> each) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        long[] releasedAt = new long[1]; // written and read only while holding the lock
        List<long[]> perThread = new ArrayList<>();
        int[] counts = new int[threads];
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        Throwable[] failure = new Throwable[1];
        for (int i = 0; i < threads; i++) {
            long[] mine = new long[1 << 20];
            perThread.add(mine);
            int index = i;
            Lock lock = each.apply(i);
            Thread t = new Thread(() -> {
                try {
                    start.await();
                    while (!stop.get()) {
                        lock.lock();
                        long now = System.nanoTime();
                        long previous;
                        synchronized (releasedAt) {
                            previous = releasedAt[0];
                        }
                        if (previous != 0 && counts[index] < mine.length) mine[counts[index]++] = now - previous;
                        synchronized (releasedAt) {
                            releasedAt[0] = System.nanoTime();
                        }
                        lock.unlock();
                    }
                } catch (Throwable e) {
                    failure[0] = e;
                    stop.set(true);
                }
            }, "handoff-" + i);
            workers.add(t);
            t.start();
        }
        start.countDown();
        Thread.sleep(millis);
        stop.set(true);
        for (Thread t : workers) t.join();
        if (failure[0] != null) throw new IllegalStateException("handoff worker failed: " + failure[0], failure[0]);
        long[] all = new long[Arrays.stream(counts).sum()];
        int at = 0;
        for (int i = 0; i < threads; i++) {
            System.arraycopy(perThread.get(i), 0, all, at, counts[i]);
            at += counts[i];
        }
        Arrays.sort(all);
        return new Samples(all);
    }
}
