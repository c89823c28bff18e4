package io.github.dlock.bench;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * The rate-limiting scenario: {@value #PROCESSES} JVM processes × {@value #WORKERS} workers
 * share a semaphore of {@value #PERMITS} permits, each permit held for {@value #WORK_MILLIS} ms
 * of work ({@link RateLimitWorker}). Measured over the time both processes run: permits granted
 * per second, utilization (permit-time spent working / (permits × time): what the limit lets
 * through, 1.0 being a perfect limiter), the wait from asking to having a permit (p50, p99), and
 * each process's share of the grants (fairness across processes). Every grant's work interval is
 * checked against all others: more than {@value #PERMITS} at once fails the run.
 */
final class RateLimit {
    static final int PROCESSES = 2;
    static final int WORKERS = 16;
    static final int PERMITS = 4;
    static final int WORK_MILLIS = 2;

    /** One run's figures; {@code shares} per process. */
    record Result(double grantsPerSecond, double utilization, Handoff.Samples waits, double[] shares, int mostAtOnce, long grants) {
        double fairness() {
            return Arrays.stream(shares).min().orElse(Double.NaN);
        }
    }

    private RateLimit() {}

    /** Runs the scenario for {@code millis} with {@code library} ({@link RateLimitWorker#open}) on {@code backend}. */
    static Result run(String library, String backend, long millis) throws Exception {
        Path dir = Targets.tempDir("dlock-rate-");
        String name = "rate-" + UUID.randomUUID();
        List<ChildJvms.Child> children = new ArrayList<>();
        try {
            for (int p = 0; p < PROCESSES; p++) {
                children.add(ChildJvms.start(ChildJvms.currentJava(), RateLimitWorker.class, List.of(library, backend, name, String.valueOf(PERMITS),
                        String.valueOf(WORKERS), String.valueOf(WORK_MILLIS), String.valueOf(millis), dir.toString(), dir.resolve("samples-" + p).toString())));
            }
            for (ChildJvms.Child c : children) expect(c, "ready");
            for (ChildJvms.Child c : children) c.send("go");
            for (ChildJvms.Child c : children) expect(c, "done");
            for (ChildJvms.Child c : children) {
                if (!c.await(30)) throw new IllegalStateException("a rate-limit worker process did not exit cleanly");
            }
            List<long[]> samples = new ArrayList<>();
            for (int p = 0; p < PROCESSES; p++) samples.add(read(dir.resolve("samples-" + p)));
            return measure(samples);
        } finally {
            children.forEach(ChildJvms.Child::close);
        }
    }

    private static void expect(ChildJvms.Child child, String line) throws IOException {
        String got = child.readLine();
        if (!line.equals(got)) throw new IllegalStateException("expected '" + line + "' from a worker process, got '" + got + "'");
    }

    private static long[] read(Path file) throws IOException {
        long[] values = new long[(int) (Files.size(file) / Long.BYTES)];
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            for (int i = 0; i < values.length; i++) values[i] = in.readLong();
        } catch (EOFException e) {
            throw new IllegalStateException("truncated samples in " + file, e);
        }
        return values;
    }

    /** Each process's samples: its start and deadline, then (asked, granted, done) triples. */
    static Result measure(List<long[]> processes) {
        long from = Long.MIN_VALUE;
        long to = Long.MAX_VALUE;
        for (long[] s : processes) {
            from = Math.max(from, s[0]);
            to = Math.min(to, s[1]);
        }
        if (to <= from) throw new IllegalStateException("the worker processes did not run at the same time");
        double seconds = (to - from) / 1e9;
        long[] grantsBy = new long[processes.size()];
        long working = 0;
        List<Long> waits = new ArrayList<>();
        int total = 0;
        for (long[] s : processes) total += (s.length - 2) / 3;
        long[] starts = new long[total];
        long[] ends = new long[total];
        int k = 0;
        for (int p = 0; p < processes.size(); p++) {
            long[] s = processes.get(p);
            for (int i = 2; i + 2 < s.length; i += 3) {
                long asked = s[i];
                long granted = s[i + 1];
                long done = s[i + 2];
                starts[k] = granted;
                ends[k] = done;
                k++;
                if (granted >= from && granted < to) grantsBy[p]++;
                if (asked >= from && asked < to) waits.add(granted - asked);
                working += Math.max(0, Math.min(done, to) - Math.max(granted, from));
            }
        }
        int most = mostAtOnce(starts, ends);
        if (most > PERMITS) throw new IllegalStateException(most + " workers held a permit at once, of " + PERMITS + " permits");
        long grants = Arrays.stream(grantsBy).sum();
        double[] shares = Arrays.stream(grantsBy).mapToDouble(g -> grants == 0 ? Double.NaN : (double) g / grants).toArray();
        long[] sorted = waits.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Result(grants / seconds, working / (PERMITS * (double) (to - from)), new Handoff.Samples(sorted), shares, most, grants);
    }

    /** The largest number of intervals [start, end] covering one instant (an end and a start at the same instant do not overlap). */
    static int mostAtOnce(long[] starts, long[] ends) {
        long[] s = starts.clone();
        long[] e = ends.clone();
        Arrays.sort(s);
        Arrays.sort(e);
        int most = 0;
        int open = 0;
        int j = 0;
        for (long start : s) {
            while (j < e.length && e[j] <= start) {
                j++;
                open--;
            }
            open++;
            most = Math.max(most, open);
        }
        return most;
    }
}
