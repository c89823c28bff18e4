package io.github.dlock.testkit.torture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads a torture session's logs and counts what matters: sections, faults, overlapping
 * sections that exclusion forbids (a writer or mutex holder with anyone; more than
 * {@link Torture#PERMITS} permit holders), lost counter updates, accepted writes whose fencing
 * tokens are out of order, and rejected (stale) writes whose holder was not told of its loss:
 * every rejected write must have an {@code L} line of the same worker, lock and token whose
 * {@code lost()} completed no later than the fault window after the write (unless the worker
 * was killed within that time, before it could learn it; those are counted apart). A section
 * cut short by {@code kill -9} ends at the kill.
 */
public final class TortureCheck {
    /** What a session showed. */
    public record Report(int sections, int killedSections, int kills, int serverFaults, int overlaps, int overlapsOutsideFaultWindows,
            long lostUpdates, long unloggedIncrements, int acceptedWrites, int rejectedStaleWrites, int rejectedWithoutLoss,
            int rejectedUnverified, int acceptedOutOfOrder, int backendErrors, int abnormalExits, List<String> examples) {
        @Override
        public String toString() {
            return String.format("%,d critical sections (%,d cut short by kill -9), %d kills, %d server faults; overlaps %d (%d outside fault "
                            + "windows); lost updates %d (unlogged increments of killed holders %d); fenced writes accepted %,d, stale writes "
                            + "rejected %d (of holders not told of their loss in time %d, killed before they could be %d), accepted out of "
                            + "token order %d; backend errors seen by workers %d; abnormal worker exits %d%s",
                    sections, killedSections, kills, serverFaults, overlaps, overlapsOutsideFaultWindows, lostUpdates, unloggedIncrements,
                    acceptedWrites, rejectedStaleWrites, rejectedWithoutLoss, rejectedUnverified, acceptedOutOfOrder, backendErrors, abnormalExits,
                    examples.isEmpty() ? "" : "; e.g. " + String.join(" | ", examples));
        }
    }

    private record Section(String worker, String name, String mode, long token, long start, long end, boolean killed) {
        boolean exclusive() {
            return mode.equals("exclusive") || mode.equals("write");
        }
    }

    private TortureCheck() {}

    static Report check(Path dir, Duration faultWindow) throws IOException {
        Map<String, Long> killedAt = new HashMap<>();
        List<long[]> faultWindows = new ArrayList<>();
        int abnormal = 0;
        for (String line : Files.readAllLines(dir.resolve("injector.log"))) {
            String[] f = line.split("\t");
            if (f[0].equals("K")) killedAt.put(f[1], Long.parseLong(f[2]));
            if (f[0].equals("F")) faultWindows.add(new long[] {Long.parseLong(f[2]), Long.parseLong(f[3]) + faultWindow.toNanos()});
            if (f[0].equals("W")) abnormal++;
        }
        Map<String, Section> open = new HashMap<>();
        List<Section> sections = new ArrayList<>();
        long increments = 0;
        int errors = 0;
        List<Section> rejected = new ArrayList<>();
        Map<String, Long> lostAt = new HashMap<>(); // worker/name/token -> when lost() completed
        try (Stream<Path> logs = Files.list(dir)) {
            for (Path log : logs.filter(p -> p.getFileName().toString().startsWith("worker-")).toList()) {
                for (String line : Files.readAllLines(log)) {
                    String[] f = line.split("\t");
                    switch (f[0]) {
                        case "S" -> open.put(f[1] + "/" + f[4] + "/" + f[5], new Section(f[1], f[2], f[3], Long.parseLong(f[4]), Long.parseLong(f[5]), Long.MAX_VALUE, true));
                        case "E" -> {
                            open.remove(f[1] + "/" + f[4] + "/" + f[5]);
                            sections.add(new Section(f[1], f[2], f[3], Long.parseLong(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6]), false));
                            increments += Long.parseLong(f[7]);
                            if (f[8].equals("rejected")) rejected.add(sections.get(sections.size() - 1));
                        }
                        case "L" -> lostAt.merge(f[1] + "/" + f[2] + "/" + f[3], Long.parseLong(f[4]), Math::min);
                        case "X" -> errors++;
                        default -> { }
                    }
                }
            }
        }
        for (Section s : open.values()) { // cut short: it ended when its process was killed (or the session ended)
            long end = killedAt.getOrDefault(s.worker(), s.start());
            sections.add(new Section(s.worker(), s.name(), s.mode(), s.token(), s.start(), Math.max(end, s.start()), true));
        }
        List<String> examples = new ArrayList<>();
        int withoutLoss = 0;
        int unverified = 0;
        for (Section s : rejected) { // its write is the section's last act: it ended right after it
            Long lost = lostAt.get(s.worker() + "/" + s.name() + "/" + s.token());
            long by = s.end() + faultWindow.toNanos();
            if (lost != null && lost <= by) continue;
            Long killed = killedAt.get(s.worker());
            if (lost == null && killed != null && killed <= by) {
                unverified++;
                continue;
            }
            withoutLoss++;
            examples.add("worker " + s.worker() + "'s write with token " + s.token() + " on " + s.name() + " was rejected, but its lost() "
                    + (lost == null ? "never completed" : "completed only " + (lost - s.end()) / 1_000_000 + " ms after the write"));
        }
        int[] overlaps = overlaps(sections, faultWindows, examples);
        long counted = counter(dir, Torture.MUTEX) + counter(dir, Torture.RW);
        int[] fencing = fencing(dir, Torture.MUTEX, examples);
        int[] fencingRw = fencing(dir, Torture.RW, examples);
        return new Report(sections.size(), open.size(), killedAt.size(), faultWindows.size(), overlaps[0], overlaps[1],
                Math.max(0, increments - counted), Math.max(0, counted - increments), fencing[0] + fencingRw[0], rejected.size(), withoutLoss,
                unverified, fencing[1] + fencingRw[1], errors, abnormal, examples.subList(0, Math.min(3, examples.size())));
    }

    /** {total, outside fault windows}. */
    private static int[] overlaps(List<Section> sections, List<long[]> faultWindows, List<String> examples) {
        int total = 0;
        int outside = 0;
        Map<String, List<Section>> byName = new HashMap<>();
        for (Section s : sections) byName.computeIfAbsent(s.name(), n -> new ArrayList<>()).add(s);
        for (List<Section> list : byName.values()) {
            list.sort(Comparator.comparingLong(Section::start));
            List<Section> running = new ArrayList<>(); // sections started earlier and not yet ended
            for (Section a : list) {
                running.removeIf(b -> b.end() <= a.start());
                for (Section b : running) {
                    boolean conflict = a.mode().equals("permit") ? running.size() + 1 > Torture.PERMITS : a.exclusive() || b.exclusive();
                    if (!conflict) continue;
                    total++;
                    boolean inWindow = faultWindows.stream().anyMatch(w -> a.start() >= w[0] && a.start() <= w[1]);
                    if (!inWindow) {
                        outside++;
                        examples.add(b + " overlaps " + a);
                    }
                    if (a.mode().equals("permit")) break; // one count per section that exceeded the permits
                }
                running.add(a);
            }
        }
        return new int[] {total, outside};
    }

    private static long counter(Path dir, String name) throws IOException {
        return TortureWorker.readCounter(dir.resolve("counter-" + name));
    }

    /** {accepted writes, accepted with a token not above the previous accepted one}. */
    private static int[] fencing(Path dir, String name, List<String> examples) throws IOException {
        Path accepted = dir.resolve("resource-" + name + ".accepted");
        if (!Files.exists(accepted)) return new int[] {0, 0};
        long previous = 0;
        int count = 0;
        int outOfOrder = 0;
        for (String line : Files.readAllLines(accepted)) {
            long token = Long.parseLong(line.split(" ")[0]);
            if (token <= previous) {
                outOfOrder++;
                examples.add("accepted token " + token + " after " + previous + " on " + name);
            }
            previous = Math.max(previous, token);
            count++;
        }
        return new int[] {count, outOfOrder};
    }
}
