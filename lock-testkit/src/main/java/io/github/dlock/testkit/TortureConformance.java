package io.github.dlock.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.testkit.torture.Torture;
import io.github.dlock.testkit.torture.TortureCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The torture run every backend takes: four worker processes for {@code -Ddlock.torture.seconds}
 * (default 60; the build sets 25, {@code scripts/torture.sh} hours) while workers are
 * {@code kill -9}ed and the backend's {@link #faults()} strike. It must show no overlap and no
 * lost update where no fault broke a lease, no stale write at all without such a fault, and
 * every stale write (rejected by the fenced resource) from a holder whose {@code lost()}
 * completed within the fault window of the write. The report goes to standard output and to
 * {@code target/torture/<test class>.txt}.
 */
public abstract class TortureConformance {

    /**
     * The store under test; workers open {@link ConformanceBackend#providerUrl()}.
     *
     * @return the backend
     */
    protected abstract ConformanceBackend backend();

    /**
     * Server-side faults to inject besides killing workers (default none).
     *
     * @return the faults; with none, the run must show no overlap, lost update or stale write
     *     at all
     */
    protected List<Torture.Fault> faults() {
        return List.of();
    }

    /**
     * How long after a fault a holder may not yet know its lock is gone (lease, keep-alive).
     *
     * @return the window; {@link Duration#ZERO} by default
     */
    protected Duration faultWindow() {
        return Duration.ZERO;
    }

    @Test
    void tortureRun_keepsExclusionAndFencing_whileWorkersAreKilledAndServersFail() throws Exception {
        long seconds = Long.getLong("dlock.torture.seconds", 60);
        long seed = Long.getLong("dlock.torture.seed", System.nanoTime());
        Path dir = Files.createTempDirectory("dlock-torture");
        List<Torture.Fault> faults = faults();
        TortureCheck.Report report = Torture.run(backend().providerUrl(), dir, 4, Duration.ofSeconds(seconds), faults, faultWindow(), seed);
        String line = String.format("%s, %d s, seed %d: %s", getClass().getSimpleName(), seconds, seed, report);
        System.out.println(line);
        Path out = Path.of("target", "torture");
        Files.createDirectories(out);
        Files.writeString(out.resolve(getClass().getSimpleName() + ".txt"), line + System.lineSeparator());

        // GuardedResource rejects lower tokens before logging, so "accepted out of order" cannot
        // happen by construction; what can is a stale holder writing at all, which the resource
        // then rejects: never without a fault that breaks leases, and never without the holder
        // being told (its lost() completing within the fault window of the write).
        assertEquals(0, report.overlapsOutsideFaultWindows(), "exclusion broken without a lease-breaking fault: " + line);
        assertEquals(0, report.rejectedWithoutLoss(), "a stale holder's write was rejected, but the holder was not told it lost the lock: " + line);
        if (faults.isEmpty()) {
            assertEquals(0, report.overlaps(), line);
            assertEquals(0, report.lostUpdates(), line);
            assertEquals(0, report.rejectedStaleWrites(), "a holder wrote with a stale token although no fault broke a lease: " + line);
        }
        assertEquals(0, report.abnormalExits(), line);
        assertTrue(report.kills() > 0 && report.sections() > 10 * seconds, "too little happened: " + line);
    }
}
