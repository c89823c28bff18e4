package io.github.dlock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * Adversarial review probes (issue 13 review, round b) of the CLI on a store with leases.
 * Uses the shared Redis on 127.0.0.1:6379 with a unique key prefix; never flushes anything.
 */
class Issue13CliReviewProbesTest {
    @TempDir
    Path temp;

    /**
     * FINDING: SIGTERM to `dlock run` on Redis can end dlock (exit 143) without releasing the
     * lock: the key then stays in Redis for the whole lease (30 s by default), and every other
     * `dlock run` of that name waits out the lease of a holder that is gone. `run` registers no
     * shutdown hook until its command's guard has started, and even then the hook only stops
     * the guard; the release is left to the main thread, which races the JVM's halt. (`hold`
     * does it right: its hook waits for the release.) The probe signals at a few moments
     * right after the key appears (tight polling) and counts the runs that left the key behind.
     */
    @Test
    void run_sigtermRightAfterAcquiring_onRedis_releasesTheLock_notLeftForTheLease() throws Exception {
        StringBuilder leftBehind = new StringBuilder();
        long[] delaysMs = {0, 0, 0, 20, 50, 100, 200, 400};
        for (long delay : delaysMs) {
            String prefix = "rv13b-" + UUID.randomUUID().toString().substring(0, 8);
            String url = "redis://127.0.0.1:6379?prefix=" + prefix + "&lease=30s";
            String key = prefix + ":{job}";
            DlockProcess run = DlockProcess.start(temp, "--url", url, "run", "job", "--", "sleep", "120");
            try (Jedis j = new Jedis("127.0.0.1", 6379)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!j.exists(key)) {
                    assertTrue(System.nanoTime() < deadline, "dlock run never took the lock");
                    Thread.onSpinWait();
                }
                if (delay > 0) Thread.sleep(delay);
                run.signal("TERM");
                DlockProcess.Result r = run.finish();
                long gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                while (j.exists(key) && System.nanoTime() < gone) Thread.sleep(20);
                long pttl = j.pttl(key);
                if (pttl >= 0) leftBehind.append("\n  SIGTERM ").append(delay).append(" ms after the key appeared: exit ")
                        .append(r.exit()).append(", lock left in Redis with ").append(pttl).append(" ms of lease");
                j.del(key);
            }
        }
        assertEquals("", leftBehind.toString(), "dlock run exited after SIGTERM but left its lock held for the lease:");
    }

    /**
     * FINDING: a --timeout too long to count in nanoseconds (over ~292 years, e.g. 300000d, a
     * natural way to write "forever") crashes `run` and `hold` with an ArithmeticException stack
     * trace and exit 1 (not a documented exit code): Messages.seconds(timeout) calls
     * Duration.toNanos() while building the --verbose line, even without --verbose. The core API
     * documents such a timeout as "waits without a deadline". Expected: the free lock is taken and
     * the command's exit code returned (or exit 64 naming --timeout).
     */
    @Test
    void run_withAHugeTimeout_andAFreeLock_runsTheCommand() throws Exception {
        String url = temp.resolve("locks").toUri().toString();
        DlockProcess.Result r = DlockProcess.run(temp, "--url", url, "run", "huge", "--timeout", "300000d", "--", "true");
        assertTrue(r.exit() == 0 || r.exit() == ExitCodes.USAGE && r.err().contains("--timeout"),
                "dlock run --timeout 300000d on a free lock exited " + r.exit() + "; stderr:\n" + r.err());
    }
}
