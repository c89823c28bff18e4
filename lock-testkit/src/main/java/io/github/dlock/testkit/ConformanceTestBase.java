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

    protected LockProvider provider;

    /**
     * Asserts that {@code name} has no holders, allowing up to 3 s: a Redlock release returns
     * once enough servers confirmed that no quorum can hold the lock any more, and a grant that
     * reaches a server after the release (given back at once) or the release's background calls
     * may show the holder on a majority for a moment. A lock left held for its lease (5 s in the
     * kit's Redis backends and more elsewhere) still fails.
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

    /** The backend under test. */
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

    /** A second, independent provider on the same store (acts like another process's). */
    protected LockProvider openAnotherProvider() {
        LockProvider p = backend().openProvider();
        opened.add(p);
        return p;
    }

    /** Another provider on the same store, opened by URL with {@code options} added (see {@link ConformanceBackend#openProvider(String)}). */
    protected LockProvider openAnotherProvider(String options) {
        LockProvider p = backend().openProvider(options);
        opened.add(p);
        return p;
    }

    /** A lock name unique to this test run. */
    protected String name(String suffix) {
        return prefix + suffix;
    }

    /** Runs {@code task} on {@code threads} threads at once and rethrows the first failure. */
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

    /** Keeps the CPU busy for {@code d}: simulated work inside a critical section, not a wait for something to happen. */
    protected static void work(java.time.Duration d) {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) Thread.onSpinWait();
    }
}
