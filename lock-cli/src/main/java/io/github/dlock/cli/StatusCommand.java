package io.github.dlock.cli;

import io.github.dlock.LockHolder;
import io.github.dlock.LockMode;
import io.github.dlock.LockProvider;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code dlock status NAME [--json] [--permits N]}: who holds NAME, in every mode; exit 0 if held, 1 if free. */
@Command(name = "status", mixinStandardHelpOptions = true, usageHelpWidth = DlockCommand.HELP_WIDTH,
        description = {"Prints who holds the lock NAME (mutex, read-write lock or semaphore): owner, pid, host, mode, since.",
            "Exits 0 if NAME is held (with --permits: at least one permit is taken), 1 if it is free."})
final class StatusCommand implements Callable<Integer> {
    @ParentCommand
    DlockCommand parent;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "Lock name.")
    String name;

    @Option(names = "--json", description = "Print one JSON object: name, held, holders (mode, pid, host, since, leaseLeftMs, "
            + "owner) and, with --permits, permits (held, total, free).")
    boolean json;

    @Option(names = "--permits", paramLabel = "N", description = "NAME is a semaphore of N permits: show its permit holders only, "
            + "and how many of the N are taken.")
    Integer permits;

    @Override
    public Integer call() {
        Messages messages = parent.messages(spec.commandLine());
        if (permits != null && permits <= 0) throw new ParameterException(spec.commandLine(), "--permits must be positive: " + permits);
        PrintWriter out = spec.commandLine().getOut();
        List<LockHolder> holders;
        try (LockProvider provider = parent.openProvider(messages)) {
            holders = provider.holders(name);
        }
        if (permits != null) holders = holders.stream().filter(h -> h.mode() == LockMode.PERMIT).collect(Collectors.toList());
        Instant now = Instant.now();
        if (json) {
            out.println(json(holders));
        } else {
            human(out, holders, now);
        }
        out.flush();
        return holders.isEmpty() ? ExitCodes.NOT_HELD : ExitCodes.OK;
    }

    private void human(PrintWriter out, List<LockHolder> holders, Instant now) {
        String subject = (permits != null ? "semaphore " : "") + DlockCommand.describe(name);
        if (permits != null) {
            out.println(subject + ": " + holders.size() + " of " + permits + " permits taken");
        } else if (holders.isEmpty()) {
            out.println(subject + " is not held");
        } else {
            out.println(subject + " is held by " + holders.size() + (holders.size() == 1 ? " holder:" : " holders:"));
        }
        if (holders.isEmpty()) return;
        out.printf("%-9s %-8s %-20s %-22s %s%n", "MODE", "PID", "HOST", "SINCE / LEASE", "OWNER");
        for (LockHolder h : holders) {
            out.printf("%-9s %-8s %-20s %-22s %s%n", h.mode().name().toLowerCase(Locale.ROOT),
                    h.pid().isPresent() ? Long.toString(h.pid().getAsLong()) : "-",
                    h.host().orElse("-"),
                    h.since().map(s -> s.toString().replaceFirst("\\.\\d+Z$", "Z") + " (" + ago(Duration.between(s, now)) + ")")
                            .orElseGet(() -> h.remainingLease().map(l -> "lease " + ago(l) + " left").orElse("-")),
                    h.ownerId());
        }
    }

    private String json(List<LockHolder> holders) {
        StringBuilder sb = new StringBuilder("{\"name\":").append(Json.string(name))
                .append(",\"held\":").append(!holders.isEmpty())
                .append(",\"holders\":[");
        for (int i = 0; i < holders.size(); i++) {
            LockHolder h = holders.get(i);
            if (i > 0) sb.append(',');
            sb.append("{\"mode\":").append(Json.string(h.mode().name().toLowerCase(Locale.ROOT)))
                    .append(",\"pid\":").append(h.pid().isPresent() ? Long.toString(h.pid().getAsLong()) : "null")
                    .append(",\"host\":").append(Json.string(h.host().orElse(null)))
                    .append(",\"since\":").append(Json.string(h.since().map(Instant::toString).orElse(null)))
                    .append(",\"leaseLeftMs\":").append(h.remainingLease().map(l -> Long.toString(Math.max(0, l.toMillis()))).orElse("null"))
                    .append(",\"owner\":").append(Json.string(h.ownerId()))
                    .append('}');
        }
        sb.append(']');
        if (permits != null) {
            sb.append(",\"permits\":{\"held\":").append(holders.size()).append(",\"total\":").append(permits)
                    .append(",\"free\":").append(Math.max(0, permits - holders.size())).append('}');
        }
        return sb.append('}').toString();
    }

    private static String ago(Duration d) {
        long s = Math.max(0, d.getSeconds());
        return s < 120 ? s + "s" : s < 7200 ? s / 60 + "m" : s / 3600 + "h";
    }
}
