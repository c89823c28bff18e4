package io.github.dlock.cli;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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

    /** How long a signal waits for the lock's release before the process ends anyway. */
    static final Duration RELEASE_GRACE = HoldCommand.RELEASE_GRACE;

    private enum State { WAITING, HOLDING, STOPPED }

    private final AtomicReference<State> state = new AtomicReference<>(State.WAITING);
    /** Counted down once the lock is released (or was never taken) and the provider closed. */
    private final CountDownLatch finished = new CountDownLatch(1);
    /** The open provider, for a signal that comes while the lock is being acquired. */
    private volatile LockProvider provider;

    @Override
    public Integer call() throws Exception {
        Messages messages = parent.messages(spec.commandLine());
        acquire.validate(spec.commandLine());
        List<String> argv = argv();
        // in place before the lock can be held: a SIGTERM/SIGINT at any moment after the grant
        // waits for the release instead of ending the JVM with the lock held (for its lease)
        Thread onSignal = new Thread(this::onSignal, "dlock-run-signal");
        Runtime.getRuntime().addShutdownHook(onSignal);
        try (LockProvider provider = acquire.open(parent, spec.commandLine(), messages)) {
            this.provider = provider;
            // a signal that came before the hook could see the provider: acquire nothing (the
            // hook or this thread, whichever sees the other, closes the provider)
            if (state.get() == State.STOPPED) return ExitCodes.SIGNALLED;
            DistributedLock lock = acquire.lockFor(provider, name);
            Optional<LockHandle> acquired = acquire.acquire(lock, name, messages);
            if (acquired.isEmpty()) return acquire.notAcquiredExitCode();
            long held = System.nanoTime();
            int exit;
            try (LockHandle handle = acquired.get()) {
                if (!state.compareAndSet(State.WAITING, State.HOLDING)) return ExitCodes.SIGNALLED; // signalled as the lock was granted: never run
                exit = new GuardedProcess(argv, handle, messages.err()).run();
            }
            messages.verbose("released " + acquire.what(name) + " after holding it " + Messages.seconds(Duration.ofNanos(System.nanoTime() - held))
                    + "; exit code " + exit);
            return exit;
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onSignal);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running; it returns now that the lock is released
            }
        }
    }

    /**
     * The shutdown hook. Still waiting for the lock: close the provider (which gives back a
     * grant that is on its way) and let the JVM end. Holding: wait (at
     * most {@link #RELEASE_GRACE}) until the running thread, whose command the guard's own
     * hook stops, has released the lock, so the JVM never ends with it held.
     */
    private void onSignal() {
        if (state.compareAndSet(State.WAITING, State.STOPPED)) {
            // an acquire may be in flight, its lock already granted on the store: closing the
            // provider gives such a grant back and wakes the waiting thread
            LockProvider p = provider;
            if (p != null) p.close();
            return;
        }
        try {
            if (!finished.await(RELEASE_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                System.err.println("dlock: the release of " + acquire.what(name) + " did not finish within " + RELEASE_GRACE.toSeconds()
                        + "s; exiting without it");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
