package io.github.dlock.testkit.torture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checker's reading of rejected writes: each must come from a holder told of its loss in time. */
class TortureCheckTest {
    private static final long S = 1_000_000_000L;

    @TempDir
    Path dir;

    @Test
    void rejectedWrites_areMatchedToTheHoldersLostRecords() throws Exception {
        Files.write(dir.resolve("injector.log"), List.of("K\t3\t" + 9 * S, "F\trestart\t" + 1 * S + "\t" + 1 * S));
        Files.write(dir.resolve("worker-1.log"), List.of(
                "S\t1\ttorture-mutex\texclusive\t10\t" + 2 * S,
                "E\t1\ttorture-mutex\texclusive\t10\t" + 2 * S + "\t" + (2 * S + 1000) + "\t1\trejected\tlost",
                "L\t1\ttorture-mutex\t10\t" + (2 * S + 500 * 1_000_000L), // told 0.5 s after the write: in time
                "S\t1\ttorture-mutex\texclusive\t11\t" + 4 * S,
                "E\t1\ttorture-mutex\texclusive\t11\t" + 4 * S + "\t" + (4 * S + 1000) + "\t1\trejected\tlost",
                "L\t1\ttorture-mutex\t11\t" + 6 * S)); // told 2 s after the write: too late for a 1 s window
        Files.write(dir.resolve("worker-2.log"), List.of(
                "S\t2\ttorture-rw\twrite\t12\t" + 7 * S,
                "E\t2\ttorture-rw\twrite\t12\t" + 7 * S + "\t" + (7 * S + 1000) + "\t1\trejected\theld")); // never told
        Files.write(dir.resolve("worker-3.log"), List.of(
                "S\t3\ttorture-mutex\texclusive\t13\t" + (8 * S + S / 2),
                "E\t3\ttorture-mutex\texclusive\t13\t" + (8 * S + S / 2) + "\t" + (8 * S + S / 2 + 1000) + "\t1\trejected\theld",
                "L\t3\ttorture-mutex\t99\t" + 9 * S)); // another token's record does not count; then killed before it could learn

        TortureCheck.Report report = TortureCheck.check(dir, Duration.ofSeconds(1));

        assertEquals(4, report.rejectedStaleWrites(), report.toString());
        assertEquals(2, report.rejectedWithoutLoss(), report.toString());
        assertEquals(1, report.rejectedUnverified(), report.toString());
        String examples = String.join(" | ", report.examples());
        assertTrue(examples.contains("token 11") && examples.contains("1999 ms after the write"), examples);
        assertTrue(examples.contains("token 12") && examples.contains("never completed"), examples);
    }
}
