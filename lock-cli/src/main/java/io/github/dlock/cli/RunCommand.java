package io.github.dlock.cli;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code dlock run NAME [options] (-c SHELL-STRING | -- CMD [ARGS...])}. */
@Command(name = "run", mixinStandardHelpOptions = true, usageHelpWidth = DlockCommand.HELP_WIDTH,
        description = {"Runs CMD (or -c's shell string) while holding the lock NAME (or one of --permits permits) and exits "
                + "with CMD's exit code.",
            "CMD sees DLOCK_NAME and DLOCK_FENCING_TOKEN in its environment. If the lock is lost while CMD runs, CMD is "
                + "terminated and dlock exits 70. If the lock is not acquired within --timeout, dlock exits 75 (or "
                + "--conflict-exit-code)."})
final class RunCommand implements Callable<Integer> {
    @ParentCommand
    DlockCommand parent;

    @Spec
    CommandSpec spec;

    @Mixin
    AcquireOptions acquire;

    @Parameters(index = "0", paramLabel = "NAME", description = "Lock name.")
    String name;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "CMD", description = "Command and arguments (after --).")
    List<String> command;

    @Option(names = {"-c", "--command"}, paramLabel = "SHELL-STRING",
            description = "Run SHELL-STRING with /bin/sh -c (cmd /c on Windows) instead of CMD.")
    String shellCommand;

    @Override
    public Integer call() throws Exception {
        Messages messages = parent.messages(spec.commandLine());
        acquire.validate(spec.commandLine());
        List<String> argv = argv();
        try (LockProvider provider = acquire.open(parent, spec.commandLine(), messages)) {
            DistributedLock lock = acquire.lockFor(provider, name);
            Optional<LockHandle> acquired = acquire.acquire(lock, name, messages);
            if (acquired.isEmpty()) return acquire.notAcquiredExitCode();
            long held = System.nanoTime();
            int exit;
            try (LockHandle handle = acquired.get()) {
                exit = new GuardedProcess(argv, handle, messages.err()).run();
            }
            messages.verbose("released " + acquire.what(name) + " after holding it " + Messages.seconds(Duration.ofNanos(System.nanoTime() - held))
                    + "; exit code " + exit);
            return exit;
        }
    }

    /**
     * The command to run: CMD, or the shell running -c's string.
     *
     * @throws ParameterException (exit 64) unless exactly one of them is given
     */
    private List<String> argv() {
        boolean hasCommand = command != null && !command.isEmpty();
        if (shellCommand != null && hasCommand) {
            throw new ParameterException(spec.commandLine(), "give either -c SHELL-STRING or -- CMD [ARGS...], not both");
        }
        if (shellCommand == null && !hasCommand) {
            throw new ParameterException(spec.commandLine(), "missing the command: give -- CMD [ARGS...] or -c SHELL-STRING");
        }
        if (hasCommand) return command;
        boolean windows = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
        return windows ? List.of("cmd", "/c", shellCommand) : List.of("/bin/sh", "-c", shellCommand);
    }
}
