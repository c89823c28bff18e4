package io.github.dlock.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.github.dlock.LockProvider;
import io.github.dlock.file.FileLockProvider;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Adversarial review probes (issue 13 review, round b) of DlockMetrics. */
class Issue13MetricsReviewProbesTest {
    @TempDir
    Path dir;

    /**
     * FINDING: binding one DlockMetrics to the same registry twice (a MeterBinder bean bound by
     * Spring Boot and again by hand, or a retry of bindTo) installs a second listener feeding the
     * same meters: every acquire and release is counted twice. Expected: the second bindTo to a
     * registry already bound is a no-op (or refused).
     */
    @Test
    void bindingTwiceToTheSameRegistry_doesNotCountEveryEventTwice() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (LockProvider locks = FileLockProvider.builder().directory(dir).build(); DlockMetrics metrics = new DlockMetrics(locks)) {
            metrics.bindTo(registry);
            metrics.bindTo(registry);
            locks.lock("once").acquire(Duration.ofSeconds(5)).release();
            Timer acquired = registry.find("dlock.acquire").tag("outcome", "acquired").timer();
            assertNotNull(acquired);
            assertEquals(1, acquired.count(), "one acquisition was recorded " + acquired.count() + " times");
        }
    }

    /**
     * Was a contract question: two binders with the same tags on one registry merged their
     * meters, and closing one removed the other's. Now the second bind fails and says why; with
     * distinct tags each keeps its own meters.
     */
    @Test
    void aSecondBinderWithTheSameTags_isRefused_andDistinctTagsKeepTheirOwnMeters() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (LockProvider a = FileLockProvider.builder().directory(dir.resolve("a")).build();
                LockProvider b = FileLockProvider.builder().directory(dir.resolve("b")).build()) {
            DlockMetrics ma = new DlockMetrics(a);
            ma.bindTo(registry);
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> new DlockMetrics(b).bindTo(registry));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("distinct tags"), e.getMessage());
            DlockMetrics mb = new DlockMetrics(b, io.micrometer.core.instrument.Tags.of("provider", "b"));
            mb.bindTo(registry);
            a.lock("x").acquire(Duration.ofSeconds(5)).release();
            mb.close();
            a.lock("x").acquire(Duration.ofSeconds(5)).release();
            Timer acquired = registry.find("dlock.acquire").tag("outcome", "acquired").timer();
            assertNotNull(acquired, "closing b's DlockMetrics removed a's dlock.acquire timer");
            org.junit.jupiter.api.Assertions.assertEquals(2, acquired.count());
            assertNotNull(registry.find("dlock.held.locks").gauge(), "closing b's DlockMetrics removed a's gauge");
            ma.close();
            new DlockMetrics(b).bindTo(registry); // a's tags are free again
        }
    }
}
