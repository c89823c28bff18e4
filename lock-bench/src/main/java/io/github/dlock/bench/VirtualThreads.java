package io.github.dlock.bench;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Virtual threads against platform threads: {@value #THREADS} threads each take 2 of
 * {@value #LOCKS} mutexes in turn (acquire, release), all released at once; throughput is
 * acquisitions per second from the release of the start latch to the last thread's end. Each
 * round runs the same load on platform threads, then on virtual threads, so their ratio is
 * measured back to back. Runs in a JVM of its own on JDK 21 or later (virtual threads; the
 * project compiles for 17, so they are made through reflection): {@link #measure} starts it
 * with {@link ChildJvms#java21()}, and the child prints one line per round.
 */
public final class VirtualThreads {
    static final int THREADS = 5_000;
    static final int LOCKS = 10;
    private static final Duration PATIENCE = Duration.ofMinutes(2);

    /** One backend's rounds: acquisitions per second on platform and on virtual threads. */
    record Result(String javaVersion, double[] platform, double[] virtual) {
        double ratio() {
            double[] ratios = new double[platform.length];
            for (int i = 0; i < ratios.length; i++) ratios[i] = virtual[i] / platform[i];
            java.util.Arrays.sort(ratios);
            int n = ratios.length;
            return n == 0 ? Double.NaN : n % 2 == 1 ? ratios[n / 2] : (ratios[n / 2 - 1] + ratios[n / 2]) / 2;
        }
    }

    private VirtualThreads() {}

    /** Runs {@code rounds} rounds on {@code backend} in a JDK 21+ child JVM; null if there is no such JDK. */
    static Result measure(String backend, int rounds) throws IOException, InterruptedException {
        String java = ChildJvms.java21();
        if (java == null) return null;
        try (ChildJvms.Child child = ChildJvms.start(java, VirtualThreads.class,
                List.of(backend, String.valueOf(rounds), Targets.tempDir("dlock-vt-").toString()))) {
            String version = child.readLine();
            double[] platform = new double[rounds];
            double[] virtual = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                String[] f = child.readLine().split(" ");
                platform[r] = Double.parseDouble(f[0]);
                virtual[r] = Double.parseDouble(f[1]);
            }
            if (!child.await(60)) throw new IllegalStateException("the virtual-thread run on " + backend + " did not exit cleanly");
            return new Result(version, platform, virtual);
        }
    }

    /** Usage: {@code VirtualThreads BACKEND ROUNDS FILE_DIR}; prints the Java version, then "platform virtual" per round. */
    public static void main(String[] args) throws Exception {
        String backend = args[0];
        int rounds = Integer.parseInt(args[1]);
        ThreadFactory virtual = virtualThreadFactory();
        ThreadFactory platform = Thread::new;
        System.out.println(Runtime.version());
        try (LockProvider provider = Targets.open(backend, Path.of(args[2]))) {
            List<DistributedLock> locks = new ArrayList<>();
            String prefix = "vt-" + UUID.randomUUID() + "-";
            for (int i = 0; i < LOCKS; i++) locks.add(provider.lock(prefix + i));
            run(platform, locks, THREADS / 10); // warm-up: connections, scripts, JIT
            run(virtual, locks, THREADS / 10);
            for (int r = 0; r < rounds; r++) {
                double p = run(platform, locks, THREADS);
                double v = run(virtual, locks, THREADS);
                System.out.printf(Locale.ROOT, "%.1f %.1f%n", p, v);
                System.out.flush();
            }
        }
    }

    private static ThreadFactory virtualThreadFactory() throws ReflectiveOperationException {
        Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
        return (ThreadFactory) Class.forName("java.lang.Thread$Builder").getMethod("factory").invoke(builder);
    }

    /** Acquisitions per second of {@code threads} threads made by {@code factory}, each taking 2 of the locks once. */
    static double run(ThreadFactory factory, List<DistributedLock> locks, int threads) throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < threads; i++) {
            int index = i;
            Thread t = factory.newThread(() -> {
                try {
                    ready.countDown();
                    go.await();
                    for (int a = 0; a < 2; a++) {
                        locks.get((index + a) % locks.size()).acquire(PATIENCE).release();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    done.countDown();
                }
            });
            t.start();
        }
        ready.await();
        long t0 = System.nanoTime();
        go.countDown();
        if (!done.await(PATIENCE.toSeconds() + 30, TimeUnit.SECONDS)) throw new IllegalStateException(done.getCount() + " threads still running");
        long elapsed = System.nanoTime() - t0;
        if (failure.get() != null) throw new IllegalStateException("a thread failed: " + failure.get(), failure.get());
        return 2.0 * threads / (elapsed / 1e9);
    }
}
