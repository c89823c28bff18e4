package io.github.dlock.cli;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code dlock run NAME [options] -- CMD [ARGS...]}. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs CMD while holding the lock NAME (or one of --permits permits) and exits with CMD's exit code.",
            "CMD sees DLOCK_NAME and DLOCK_FENCING_TOKEN in its environment. If the lock is lost while CMD runs,",
            "CMD is terminated and dlock exits 70. If the lock is not acquired within --timeout, dlock exits 75."})
final class RunCommand implements Callable<Integer> {
    enum Mode { exclusive, read, write }

    @ParentCommand
    DlockCommand parent;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "Lock name.")
    String name;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "Command and arguments (after --).")
    List<String> command;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long to wait for the lock: 250ms, 30s, 5m, PT1M; 0 tries once. Default: wait as long as it takes.")
    Duration timeout;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "exclusive",
            description = "exclusive (a mutex), read or write (sides of a reader-writer lock). Default: ${DEFAULT-VALUE}.")
    Mode mode;

    @Option(names = "--permits", paramLabel = "N", description = "Take one of N permits of semaphore NAME instead of a mutex.")
    Integer permits;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        if (permits != null && permits <= 0) throw new ParameterException(spec.commandLine(), "--permits must be positive: " + permits);
        if (permits != null && mode != Mode.exclusive) {
            throw new ParameterException(spec.commandLine(), "--permits takes a semaphore permit; it cannot be combined with --mode " + mode);
        }
        try (LockProvider provider = parent.openProvider()) {
            DistributedLock lock = lockFor(provider);
            Optional<LockHandle> acquired = timeout == null ? Optional.of(lock.acquire()) : lock.tryAcquire(timeout);
            if (acquired.isEmpty()) {
                err.println("dlock: " + what() + " was not acquired within " + timeout.toString().substring(2).toLowerCase());
                return ExitCodes.NOT_ACQUIRED;
            }
            try (LockHandle handle = acquired.get()) {
                return new GuardedProcess(command, handle, err).run();
            }
        }
    }

    private DistributedLock lockFor(LockProvider provider) {
        if (permits != null) return provider.semaphore(name, permits);
        switch (mode) {
            case read: return provider.readWriteLock(name).readLock();
            case write: return provider.readWriteLock(name).writeLock();
            default: return provider.lock(name);
        }
    }

    private String what() {
        if (permits != null) return "a permit of semaphore " + DlockCommand.describe(name) + " (" + permits + " permits)";
        return (mode == Mode.exclusive ? "lock " : mode + " lock ") + DlockCommand.describe(name);
    }
}
