package io.github.dlock.cli;

import io.github.dlock.LockHolder;
import io.github.dlock.LockProvider;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code dlock status NAME}: who holds NAME, in every mode. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Prints who holds the lock NAME (mutex, read-write lock or semaphore): owner, pid, host, mode, since.")
final class StatusCommand implements Callable<Integer> {
    @ParentCommand
    DlockCommand parent;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "Lock name.")
    String name;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<LockHolder> holders;
        try (LockProvider provider = parent.openProvider()) {
            holders = provider.holders(name);
        }
        if (holders.isEmpty()) {
            out.println(DlockCommand.describe(name) + " is not held");
            return ExitCodes.OK;
        }
        out.println(DlockCommand.describe(name) + " is held by " + holders.size() + (holders.size() == 1 ? " holder:" : " holders:"));
        out.printf("%-9s %-8s %-20s %-22s %s%n", "MODE", "PID", "HOST", "SINCE / LEASE", "OWNER");
        Instant now = Instant.now();
        for (LockHolder h : holders) {
            out.printf("%-9s %-8s %-20s %-22s %s%n", h.mode().name().toLowerCase(Locale.ROOT),
                    h.pid().isPresent() ? Long.toString(h.pid().getAsLong()) : "-",
                    h.host().orElse("-"),
                    h.since().map(s -> s.toString().replaceFirst("\\.\\d+Z$", "Z") + " (" + ago(Duration.between(s, now)) + ")")
                            .orElseGet(() -> h.remainingLease().map(l -> "lease " + ago(l) + " left").orElse("-")),
                    h.ownerId());
        }
        return ExitCodes.OK;
    }

    private static String ago(Duration d) {
        long s = Math.max(0, d.getSeconds());
        return s < 120 ? s + "s" : s < 7200 ? s / 60 + "m" : s / 3600 + "h";
    }
}
