package io.github.dlock.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Reading the meters of a {@link DlockMetrics} binding in tests. */
final class Meters {
    private final MeterRegistry registry;
    private final String backend;

    Meters(MeterRegistry registry, String backend) {
        this.registry = registry;
        this.backend = backend;
    }

    /** Attempts of {@code kind} that ended with {@code outcome}; 0 if none (the timer is made on the first). */
    long acquires(String kind, String outcome) {
        Timer t = registry.find("dlock.acquire").tags("backend", backend, "kind", kind, "outcome", outcome).timer();
        return t == null ? 0 : t.count();
    }

    /** All acquire attempts recorded, of any kind and outcome. */
    long allAcquires() {
        return registry.find("dlock.acquire").tags("backend", backend).timers().stream().mapToLong(Timer::count).sum();
    }

    /** Releases of {@code kind}. */
    long releases(String kind) {
        Timer t = registry.find("dlock.held").tags("backend", backend, "kind", kind).timer();
        return t == null ? 0 : t.count();
    }

    double lost(String kind) {
        return registry.get("dlock.lost").tags("backend", backend, "kind", kind).counter().count();
    }

    double heldLocks() {
        return registry.get("dlock.held.locks").tags("backend", backend).gauge().value();
    }

    double renewalRoundTrips() {
        return registry.get("dlock.renewal.round.trips").tags("backend", backend).counter().count();
    }

    double renewalFailures() {
        return registry.get("dlock.renewal.failures").tags("backend", backend).counter().count();
    }

    /** Waits (at most 30 s) until {@code condition} holds; fails with {@code what} otherwise. */
    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    /** {@code expected} as a double, for counters. */
    static void assertCount(long expected, double actual, String what) {
        assertEquals((double) expected, actual, 0.0, what);
    }
}
