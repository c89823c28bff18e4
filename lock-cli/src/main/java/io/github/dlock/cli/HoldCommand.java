package io.github.dlock.cli;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code dlock hold NAME [options]}: acquires, prints {@code held NAME token=T}, holds until
 * stdin ends or a SIGTERM/SIGINT arrives, releases and exits 0; exits 70 if the lock is lost
 * meanwhile. For shell scripts that run several commands under one lock.
 *
 * <p>A signal starts the JVM's shutdown, during which {@code System.exit} would block, so the
 * shutdown hook wakes the holding thread, waits for it to release, and ends the process with
 * the holding thread's exit code ({@link Runtime#halt(int)}). A signal that arrives while still
 * waiting for the lock ends dlock as usual (exit 128+N); there is nothing to release yet. A
 * SIGINT that was ignored when the JVM started (a script's background job, nohup) stays ignored:
 * the JVM installs no handler for it, as Unix programs should not; SIGTERM and end of stdin work.
 */
@Command(name = "hold", mixinStandardHelpOptions = true, usageHelpWidth = DlockCommand.HELP_WIDTH,
        description = {"Acquires the lock NAME (or one of --permits permits), prints 'held NAME token=T' on stdout, and holds it "
                + "until stdin reaches end of file or dlock gets SIGTERM or SIGINT; then releases it and exits 0.",
            "If the lock is lost meanwhile, dlock says so on stderr and exits 70 (at once, without waiting for stdin). Unlike run, "
                + "hold cannot stop the commands that rely on the lock: check its exit code."
                + " The README's Command line section shows how to use it in a shell script (exec 3> >(dlock hold NAME ...))."})
final class HoldCommand implements Callable<Integer> {
    /** How long a signal waits for the release before the process ends anyway. */
    static final Duration RELEASE_GRACE = Duration.ofSeconds(30);

    private enum State { WAITING, HOLDING, STOPPED }

    @ParentCommand
    DlockCommand parent;

    @Spec
    CommandSpec spec;

    @Mixin
    AcquireOptions acquire;

    @Parameters(index = "0", paramLabel = "NAME", description = "Lock name.")
    String name;

    private final AtomicReference<State> state = new AtomicReference<>(State.WAITING);
    private final CompletableFuture<String> stop = new CompletableFuture<>();
    private final CountDownLatch finished = new CountDownLatch(1);
    /** The open provider, for a signal that comes while the lock is being acquired. */
    private volatile LockProvider provider;
    private final AtomicInteger exitCode = new AtomicInteger(ExitCodes.OK);

    @Override
    public Integer call() throws Exception {
        Messages messages = parent.messages(spec.commandLine());
        acquire.validate(spec.commandLine());
        Thread onSignal = new Thread(this::onSignal, "dlock-hold-signal");
        Runtime.getRuntime().addShutdownHook(onSignal);
        try (LockProvider provider = acquire.open(parent, spec.commandLine(), messages)) {
            this.provider = provider;
            // a signal that came before the hook could see the provider: acquire nothing (the
            // hook or this thread, whichever sees the other, closes the provider)
            if (state.get() == State.STOPPED) return ExitCodes.OK;
            Optional<LockHandle> acquired = acquire.acquire(acquire.lockFor(provider, name), name, messages);
            if (acquired.isEmpty()) return acquire.notAcquiredExitCode();
            try (LockHandle handle = acquired.get()) {
                if (!state.compareAndSet(State.WAITING, State.HOLDING)) return ExitCodes.OK; // a signal came as the lock was granted
                long held = System.nanoTime();
                handle.lost().thenRun(() -> stop.complete("lost"));
                PrintWriter out = spec.commandLine().getOut();
                out.println("held " + name + " token=" + handle.fencingToken());
                out.flush();
                watchStdin();
                String why = stop.join();
                if (why.equals("lost") || handle.isLost()) {
                    messages.error(acquire.what(name) + " was lost while held: the store no longer records dlock as its holder"
                            + " (the reason is logged above); what relied on it is no longer protected");
                    exitCode.set(ExitCodes.LOCK_LOST);
                    return ExitCodes.LOCK_LOST;
                }
                handle.release();
                messages.verbose("released " + acquire.what(name) + " after holding it "
                        + Messages.seconds(Duration.ofNanos(System.nanoTime() - held)) + " (" + why + ")");
                return ExitCodes.OK;
            }
        } catch (RuntimeException | Error e) {
            exitCode.set(ExitCodes.UNAVAILABLE); // the handler reports it; a signal's hook must not pretend success
            throw e;
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onSignal);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it ends the process with exitCode once this returns
            }
        }
    }

    /** Reads (and discards) stdin on a daemon thread; its end, or an error reading it, stops the hold. */
    private void watchStdin() {
        Thread reader = new Thread(() -> {
            byte[] buffer = new byte[4096];
            try {
                InputStream in = System.in;
                while (in.read(buffer) >= 0) {
                    // input is ignored; only its end matters
                }
                stop.complete("end of stdin");
            } catch (IOException e) {
                stop.complete("stdin failed: " + e.getMessage());
            }
        }, "dlock-hold-stdin");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * The shutdown hook. Still waiting for the lock: close the provider (which gives back a
     * grant that is on its way) and let the JVM end as usual. Holding: have the holding thread release, then end with its exit code.
     */
    private void onSignal() {
        if (state.compareAndSet(State.WAITING, State.STOPPED)) {
            LockProvider p = provider; // a grant may be on its way: closing the provider gives it back
            if (p != null) p.close();
            return;
        }
        stop.complete("signal");
        try {
            if (!finished.await(RELEASE_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                System.err.println("dlock: the release of " + acquire.what(name) + " did not finish within "
                        + RELEASE_GRACE.toSeconds() + "s; exiting without it");
                Runtime.getRuntime().halt(ExitCodes.UNAVAILABLE);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(exitCode.get());
    }
}
