package io.github.dlock.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The rate-limiting scenario's arithmetic: what it counts as overlap, utilization and shares. */
class RateLimitTest {
    @Test
    void mostAtOnce_countsOverlappingIntervals_endAndStartAtOneInstantDoNotOverlap() {
        assertEquals(1, RateLimit.mostAtOnce(new long[] {0, 10, 20}, new long[] {10, 20, 30}));
        assertEquals(3, RateLimit.mostAtOnce(new long[] {0, 1, 2, 50}, new long[] {100, 100, 3, 60}));
    }

    @Test
    void measure_failsTheRunWhenMoreWorkersHoldAPermitThanThereArePermits() {
        // process 0: start 0, deadline 1000; five grants all working over [100, 200]
        long[] p0 = {0, 1_000, 90, 100, 200, 90, 100, 200, 90, 100, 200};
        long[] p1 = {0, 1_000, 90, 101, 200, 90, 102, 200};
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RateLimit.measure(List.of(p0, p1)));
        assertTrue(e.getMessage().contains("5 workers held a permit at once"), e.getMessage());
    }

    @Test
    void measure_givesUtilizationSharesAndWaitsOverTheTimeBothProcessesRan() {
        // both ran over [0, 1000]; four permits; process 0 worked 400 of it on one permit, process 1 200 on another
        long[] p0 = {0, 1_000, 0, 100, 500};
        long[] p1 = {0, 1_000, 0, 300, 400, 500, 600, 700};
        RateLimit.Result r = RateLimit.measure(List.of(p0, p1));
        assertEquals(600 / 4000.0, r.utilization(), 1e-9);
        assertEquals(3, r.grants());
        assertEquals(1 / 3.0, r.shares()[0], 1e-9);
        assertEquals(1 / 3.0, r.fairness(), 1e-9);
        assertEquals(3, r.waits().sorted().length);
        assertEquals(100, r.waits().sorted()[1]);
    }
}
