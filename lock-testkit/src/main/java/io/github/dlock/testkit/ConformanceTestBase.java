package io.github.dlock.testkit;

import io.github.dlock.LockProvider;
import java.util.ArrayList;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;

/**
 * Plumbing for the kit's test classes: a provider per test (more on request), closed after
 * it, and lock names unique per test run so state left in a server by earlier runs never
 * interferes.
 */
public abstract class ConformanceTestBase {
    /** Generous bound for waits that should succeed; only a broken lock makes a test wait this long. */
    protected static final java.time.Duration PATIENCE = java.time.Duration.ofSeconds(20);

    /** The provider opened for the current test before it runs; closed after it. */
    protected LockProvider provider;

    /**
     * Asserts that {@code name} has no holders, allowing up to 3 s: a Redlock release returns
     * once enough servers confirmed that no quorum can hold the lock any more, and a grant that
     * reaches a server after the release (given back at once) or the release's background calls
     * may show the holder on a majority for a moment. A lock left held for its lease (5 s in the
     * kit's Redis backends and more elsewhere) still fails.
     *
     * @param name the lock's name
     * @throws InterruptedException if interrupted while waiting between checks
     * @throws AssertionError if {@link #provider} still reports holders after 3 s
     */
    protected void assertNoHoldersSoon(String name) throws InterruptedException {
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(3);
        List<io.github.dlock.LockHolder> holders = provider.holders(name);
        while (!holders.isEmpty() && System.nanoTime() < end) {
            Thread.sleep(10);
            holders = provider.holders(name);
        }
        org.junit.jupiter.api.Assertions.assertEquals(List.of(), holders, "holders of " + name + " 3 s after every release");
    }
    private final List<LockProvider> opened = new ArrayList<>();
    private String prefix;

    /**
     * The backend under test.
     *
     * @return the backend; asked once per provider the test opens
     */
    protected abstract ConformanceBackend backend();

    @BeforeEach
    void openProvider(TestInfo info) {
        prefix = info.getTestMethod().map(m -> m.getName()).orElse("test") + "-" + UUID.randomUUID() + ":";
        provider = openAnotherProvider();
    }

    @AfterEach
    void closeProviders() {
        for (LockProvider p : opened) p.close();
        opened.clear();
    }

    /**
     * A second, independent provider on the same store (acts like another process's).
     *
     * @return a new provider, closed after the test
     */
    protected LockProvider openAnotherProvider() {
        LockProvider p = backend().openProvider();
        opened.add(p);
        return p;
    }

    /**
     * Another provider on the same store, opened by URL with {@code options} added (see {@link ConformanceBackend#openProvider(String)}).
     *
     * @param options options in URL query syntax, e.g. {@code retry=fixed:1m}
     * @return a new provider, closed after the test
     */
    protected LockProvider openAnotherProvider(String options) {
        LockProvider p = backend().openProvider(options);
        opened.add(p);
        return p;
    }

    /**
     * A lock name unique to this test run.
     *
     * @param suffix what tells this test's locks apart
     * @return the test method's name, a random UUID and {@code suffix}
     */
    protected String name(String suffix) {
        return prefix + suffix;
    }

    /**
     * Runs {@code task} on {@code threads} threads at once and rethrows the first failure.
     * The threads are released together by a latch; the results are then collected in thread
     * order, so "first" is the failure of the lowest-numbered failing thread.
     *
     * @param threads how many threads run the task
     * @param task what each thread runs once
     * @throws java.util.concurrent.ExecutionException wrapping a task's failure
     * @throws java.util.concurrent.TimeoutException if a task has not ended within 2 minutes of
     *     the previous one being collected
     * @throws InterruptedException if interrupted while waiting for the tasks
     * @throws IllegalArgumentException if {@code threads} is not positive
     */
    protected static void runConcurrently(int threads, Callable<Void> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Void>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return task.call();
                }));
            }
            go.countDown();
            for (Future<Void> f : results) f.get(2, TimeUnit.MINUTES);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Keeps the CPU busy for {@code d}: simulated work inside a critical section, not a wait for something to happen.
     *
     * @param d how long to spin; returns at once for zero or a negative duration
     */
    protected static void work(java.time.Duration d) {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) Thread.onSpinWait();
    }
}
