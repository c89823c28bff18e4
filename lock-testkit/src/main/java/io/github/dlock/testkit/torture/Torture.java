package io.github.dlock.testkit.torture;

import io.github.dlock.testkit.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Runs a torture session: {@code workers} {@link TortureWorker} processes on one store for a
 * bounded time while faults are injected at random moments (every 1–3 s): {@code kill -9} of a
 * worker, often mid-section, with a replacement started at once, and the backend's own
 * {@link Fault}s (server restarts, terminated sessions). Then {@link TortureCheck} reads what
 * the workers and the injector logged.
 */
public final class Torture {
    static final String MUTEX = "torture-mutex";
    static final String RW = "torture-rw";
    static final String SEMAPHORE = "torture-semaphore";
    static final int PERMITS = 2;

    /** A server-side fault the backend can inject; it may break leases, so overlaps right after it are tolerated. */
    public interface Fault {
        /**
         * The fault's name in the injector log and the report.
         *
         * @return a short name without tabs or line breaks, e.g. {@code restart}
         */
        String name();

        /**
         * Injects the fault and returns when it is over (e.g. once the restarted server is up
         * again); runs on the thread that runs the session. Overlaps that begin between the call
         * and the fault window after its return are reported apart.
         *
         * @throws Exception if the fault cannot be injected; it ends the session
         */
        void inject() throws Exception;
    }

    private Torture() {}

    /**
     * Runs for {@code duration}.
     *
     * @param url provider URL; each worker appends {@code owner=torture-N}
     * @param dir where the workers and the injector write their logs (created if absent)
     * @param workers how many worker processes run at once
     * @param duration how long the session runs
     * @param faults the backend's server-side faults; when not empty, about four events in ten
     *     are such a fault instead of a kill (the first event is always a kill)
     * @param faultWindow how long after a server fault a lock may still be believed held by a
     *     holder that lost it (lease, keep-alive) — overlaps in that window are reported apart
     * @param seed seeds the choice of events, their timing and the workers' own randomness
     * @return what the logs show
     * @throws Exception if a worker cannot be started or never reports ready, a fault fails, or
     *     the logs cannot be written or read
     */
    public static TortureCheck.Report run(String url, Path dir, int workers, Duration duration, List<Fault> faults, Duration faultWindow, long seed)
            throws Exception {
        Files.createDirectories(dir);
        Random random = new Random(seed);
        long end = System.nanoTime() + duration.toNanos();
        List<String> events = new ArrayList<>(); // injector log: K worker nanos | F name startNanos endNanos
        List<ChildJvm> running = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        int next = 0;
        try {
            for (; next < workers; next++) {
                running.add(start(url, dir, next, end, random));
                ids.add(Integer.toString(next));
            }
            for (ChildJvm w : running) w.awaitLine("READY", Duration.ofSeconds(60));
            while (System.nanoTime() + 1_500_000_000L < end) {
                Thread.sleep(1000 + random.nextInt(2000));
                if (faults.isEmpty() || events.isEmpty() || random.nextInt(10) < 6) { // the first event is always a kill
                    int victim = random.nextInt(running.size());
                    events.add("K\t" + ids.get(victim) + "\t" + System.nanoTime());
                    running.get(victim).kill();
                    running.set(victim, start(url, dir, next, end, random));
                    ids.set(victim, Integer.toString(next++));
                } else {
                    Fault fault = faults.get(random.nextInt(faults.size()));
                    long from = System.nanoTime();
                    fault.inject();
                    events.add("F\t" + fault.name() + "\t" + from + "\t" + System.nanoTime());
                }
            }
            for (ChildJvm w : running) {
                if (w.awaitExit(Duration.ofSeconds(60)) != 0) events.add("W\t" + w.pid() + "\tworker exited abnormally: " + tail(w.output()));
            }
        } finally {
            for (ChildJvm w : running) w.close();
            Files.write(dir.resolve("injector.log"), events);
        }
        return TortureCheck.check(dir, faultWindow);
    }

    private static ChildJvm start(String url, Path dir, int id, long end, Random random) throws IOException {
        long seconds = Math.max(1, (end - System.nanoTime()) / 1_000_000_000L);
        String withOwner = io.github.dlock.testkit.ConformanceBackend.withOptions(url, "owner=torture-" + id);
        return ChildJvm.startMain(TortureWorker.class, withOwner, dir.toString(), Integer.toString(id), Long.toString(seconds),
                Long.toString(random.nextLong()));
    }

    private static String tail(String output) {
        return output.length() > 500 ? output.substring(output.length() - 500) : output;
    }
}
