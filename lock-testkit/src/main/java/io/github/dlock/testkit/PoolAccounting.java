package io.github.dlock.testkit;

import java.time.Duration;
import java.util.function.IntSupplier;

/**
 * Asserts that a connection pool's in-use count returns to its baseline after a fault, so that
 * a leaked pool slot fails the build. Backends supply how to read the count (for example a
 * HikariCP pool's active connections); the wait is bounded because pools give connections back
 * asynchronously.
 */
public final class PoolAccounting {
    private PoolAccounting() {}

    /**
     * Waits up to {@code within} for {@code inUse} to fall to {@code baseline}.
     * Polls every 20 ms.
     *
     * @param what names the check in the failure message
     * @param baseline the count before the fault
     * @param inUse reads the pool's count of connections in use
     * @param within the longest wait
     * @throws InterruptedException if interrupted while waiting
     * @throws AssertionError naming {@code what} and the last count if it did not
     */
    public static void assertBackToBaseline(String what, int baseline, IntSupplier inUse, Duration within) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        int now = inUse.getAsInt();
        while (now > baseline && System.nanoTime() < end) {
            Thread.sleep(20);
            now = inUse.getAsInt();
        }
        if (now > baseline) {
            throw new AssertionError(what + ": " + now + " pool connection(s) still in use after " + within + ", baseline " + baseline
                    + " (a leaked pool slot)");
        }
    }
}
