package io.github.dlock.testkit;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

/**
 * The dlock side of the backends' performance harnesses: uncontended acquire+release rate,
 * release-to-next-holder handoff latency, and their summaries. The floors (raw client calls)
 * stay in each backend's harness. Harness code, not assertions: nothing here fails a build.
 */
public final class LockTimings {
    private LockTimings() {}

    /**
     * Uncontended tryAcquire + release cycles per second over {@code millis}.
     *
     * @param lock a lock nobody else takes meanwhile
     * @param millis how long to run the cycles
     * @return cycles per second
     * @throws java.util.NoSuchElementException if an attempt finds the lock taken
     */
    public static double acquireReleaseRate(DistributedLock lock, long millis) {
        long end = System.nanoTime() + millis * 1_000_000;
        long n = 0;
        long start = System.nanoTime();
        while (System.nanoTime() < end) {
            lock.tryAcquire().orElseThrow().release();
            n++;
        }
        return n * 1e9 / (System.nanoTime() - start);
    }

    /**
     * Nanoseconds from a release by {@code holderSide} to a thread waiting on {@code waiterSide}
     * holding the lock, {@code samples} times. {@code settleMillis} lets the waiter start waiting.
     * Each sample starts a new platform thread for the waiter.
     *
     * @param holderSide the lock the calling thread takes and releases
     * @param waiterSide the lock, possibly of another provider, that the waiting thread takes
     * @param samples how many handoffs to measure
     * @param settleMillis the pause between starting the waiter and releasing
     * @return the latency of each handoff, in nanoseconds, in the order measured
     * @throws InterruptedException if the calling thread is interrupted
     */
    public static long[] handoffNanos(DistributedLock holderSide, DistributedLock waiterSide, int samples, long settleMillis)
            throws InterruptedException {
        long[] latencies = new long[samples];
        for (int i = 0; i < samples; i++) {
            LockHandle held = holderSide.acquire();
            CountDownLatch waiting = new CountDownLatch(1);
            long[] acquiredAt = new long[1];
            Thread waiter = new Thread(() -> {
                waiting.countDown();
                try (LockHandle h = waiterSide.acquire()) {
                    acquiredAt[0] = System.nanoTime();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            waiter.start();
            waiting.await();
            Thread.sleep(settleMillis); // harness pacing: let the waiter block before the release
            long releasedAt = System.nanoTime();
            held.release();
            waiter.join();
            latencies[i] = acquiredAt[0] - releasedAt;
        }
        return latencies;
    }

    /**
     * {@code "p50 x ms  p90 y ms  p99 z ms  (n=N)"}.
     *
     * @param nanos the samples, in nanoseconds, in any order; not modified
     * @return the summary line
     * @throws ArrayIndexOutOfBoundsException if {@code nanos} is empty
     */
    public static String percentiles(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return String.format("p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  (n=%d)", s[s.length / 2] / 1e6, s[(int) (s.length * 0.9)] / 1e6,
                s[(int) (s.length * 0.99)] / 1e6, s.length);
    }

    /**
     * The median: for an even count, the upper of the two middle values.
     *
     * @param values the values, in any order; not modified
     * @return the median
     * @throws ArrayIndexOutOfBoundsException if {@code values} is empty
     */
    public static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
