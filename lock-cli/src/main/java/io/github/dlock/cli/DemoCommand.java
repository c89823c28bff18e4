package io.github.dlock.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code dlock demo}: several worker processes contend for one lock and a 2-permit semaphore;
 * prints their timeline and checks that no more than 1 (and 2) held at once and that fencing
 * tokens only grew. Worker timestamps come from {@link System#nanoTime()}, which is one
 * clock for all processes on Linux and macOS.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, usageHelpWidth = DlockCommand.HELP_WIDTH,
        description = "Shows the library working: worker processes contend for a lock and a 2-permit semaphore; prints a timeline and a check.")
final class DemoCommand implements Callable<Integer> {
    @ParentCommand
    DlockCommand parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--workers", defaultValue = "4", description = "Worker processes (2 to 16). Default: ${DEFAULT-VALUE}.")
    int workers;

    @Option(names = "--rounds", defaultValue = "3", description = "Rounds per worker (1 to 100). Default: ${DEFAULT-VALUE}.")
    int rounds;

    private record Event(long nanos, String worker, String resource, boolean acquired, long token) {}

    @Override
    public Integer call() throws Exception {
        if (workers < 2 || workers > 16) throw new ParameterException(spec.commandLine(), "--workers must be within [2, 16]: " + workers);
        if (rounds < 1 || rounds > 100) throw new ParameterException(spec.commandLine(), "--rounds must be within [1, 100]: " + rounds);
        Messages messages = parent.messages(spec.commandLine());
        PrintWriter out = spec.commandLine().getOut();
        String url = parent.effectiveUrl();
        try (io.github.dlock.LockProvider probe = parent.openProvider(messages)) {
            probe.holders(DemoWorker.LOCK); // one round trip: fail fast, with exit 64 or 69 and one line, on a bad or unreachable store
        }
        out.printf("dlock demo: %d worker processes, each %d rounds of: mutex '%s', then one of %d permits of semaphore '%s'%n",
                workers, rounds, DemoWorker.LOCK, DemoWorker.POOL_PERMITS, DemoWorker.POOL);
        out.println("lock store: " + io.github.dlock.internal.Arguments.redactUrl(url));
        out.println();
        List<Event> events = runWorkers(url, out);
        if (events == null) return ExitCodes.CHECK_FAILED;
        events.sort(Comparator.comparingLong(Event::nanos).thenComparing(e -> e.acquired())); // releases first on ties
        return printTimelineAndCheck(events, out);
    }

    private List<Event> runWorkers(String url, PrintWriter out) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<Process> processes = new ArrayList<>();
        List<Event> events = Collections.synchronizedList(new ArrayList<>());
        List<Thread> readers = new ArrayList<>();
        for (int i = 1; i <= workers; i++) {
            Process p = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", System.getProperty("java.class.path"),
                    DemoWorker.class.getName(), url, "worker-" + i, Integer.toString(rounds))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            processes.add(p);
            Thread reader = new Thread(() -> collect(p, events));
            reader.start();
            readers.add(reader);
        }
        boolean allOk = true;
        for (Process p : processes) {
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                allOk = false;
            } else if (p.exitValue() != 0) {
                allOk = false;
            }
        }
        for (Thread t : readers) t.join();
        if (!allOk) {
            out.println("check: FAILED - a worker process failed (see its messages above)");
            return null;
        }
        return new ArrayList<>(events);
    }

    private static void collect(Process p, List<Event> events) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                String[] f = line.split(" ");
                if (f.length == 6 && f[0].equals("EVENT")) {
                    events.add(new Event(Long.parseLong(f[1]), f[2], f[3], f[4].equals("acquired"), Long.parseLong(f[5])));
                }
            }
        } catch (IOException e) {
            // the worker died; its exit code reports it
        }
    }

    private int printTimelineAndCheck(List<Event> events, PrintWriter out) {
        Map<String, Integer> holding = new HashMap<>();
        Map<String, Integer> maxHolding = new HashMap<>();
        Map<String, Long> lastToken = new HashMap<>();
        boolean tokensIncrease = true;
        long start = events.isEmpty() ? 0 : events.get(0).nanos();
        out.printf("%9s  %-9s  %-10s  %-8s  %6s  %s%n", "time", "worker", "resource", "event", "token", "holders now");
        for (Event e : events) {
            int now = holding.merge(e.resource(), e.acquired() ? 1 : -1, Integer::sum);
            maxHolding.merge(e.resource(), now, Math::max);
            if (e.acquired()) {
                Long last = lastToken.put(e.resource(), e.token());
                if (last != null && e.token() <= last) tokensIncrease = false;
            }
            out.printf("%+8.3fs  %-9s  %-10s  %-8s  %6s  %s%n", (e.nanos() - start) / 1e9, e.worker(), e.resource(),
                    e.acquired() ? "acquired" : "released", "#" + e.token(), bar(holding));
        }
        int lockMax = maxHolding.getOrDefault(DemoWorker.LOCK, 0);
        int poolMax = maxHolding.getOrDefault(DemoWorker.POOL, 0);
        long expectedEach = (long) workers * rounds;
        long acquisitions = events.stream().filter(Event::acquired).count();
        boolean ok = lockMax == 1 && poolMax >= 1 && poolMax <= DemoWorker.POOL_PERMITS && tokensIncrease && acquisitions == 2 * expectedEach;
        out.println();
        out.printf("check: expected at most 1 holder of %s, at most %d of %s, %d acquisitions, rising tokens;"
                + " observed %d, %d, %d, %s -> %s%n", DemoWorker.LOCK, DemoWorker.POOL_PERMITS, DemoWorker.POOL, 2 * expectedEach,
                lockMax, poolMax, acquisitions, tokensIncrease ? "rising" : "NOT RISING", ok ? "OK" : "FAILED");
        return ok ? ExitCodes.OK : ExitCodes.CHECK_FAILED;
    }

    private static String bar(Map<String, Integer> holding) {
        return "lock=" + holding.getOrDefault(DemoWorker.LOCK, 0) + " pool=" + holding.getOrDefault(DemoWorker.POOL, 0);
    }
}
