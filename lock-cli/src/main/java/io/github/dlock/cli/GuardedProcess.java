package io.github.dlock.cli;

import io.github.dlock.LockHandle;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a command while a lock is held: the command inherits dlock's standard streams, gets
 * the lock's name and fencing token in its environment, and is terminated (with its
 * descendants) if the lock is lost or dlock itself is stopped: by a signal that runs shutdown
 * hooks (SIGTERM, SIGINT) through a hook, and by SIGKILL or any other death through the
 * {@link CommandGuard} process, which starts the command as its child and watches dlock from
 * before the command starts.
 */
final class GuardedProcess {
    private final List<String> command;
    private final LockHandle handle;
    private final PrintWriter err;

    GuardedProcess(List<String> command, LockHandle handle, PrintWriter err) {
        this.command = command;
        this.handle = handle;
        this.err = err;
    }

    /** Runs the command to completion; returns its exit code, or the code for a lost lock. */
    int run() throws InterruptedException {
        if (!exists(command.get(0))) {
            err.println("dlock: command not found: " + command.get(0));
            return ExitCodes.COMMAND_NOT_FOUND;
        }
        Process guard;
        try {
            guard = guarded().start();
        } catch (IOException e) {
            err.println("dlock: cannot start the watcher that runs '" + command.get(0) + "': " + e.getMessage());
            return ExitCodes.CANNOT_EXECUTE;
        }
        AtomicBoolean lost = new AtomicBoolean();
        handle.lost().thenRun(() -> {
            lost.set(true);
            ProcessTree.kill(guard.toHandle()); // the lock no longer protects the command: no grace period
        });
        Thread stopWithDlock = new Thread(() -> CommandGuard.terminate(guard.toHandle()), "dlock-stop-command");
        try {
            Runtime.getRuntime().addShutdownHook(stopWithDlock);
        } catch (IllegalStateException shuttingDown) { // signalled while the guard started: stop it, the lock is released next
            CommandGuard.terminate(guard.toHandle());
            guard.waitFor();
            return ExitCodes.SIGNALLED;
        }
        try {
            ProcessHandle started = awaitCommand(guard);
            int exit = guard.waitFor();
            if (lost.get()) {
                if (started != null) ProcessTree.kill(started); // done by the loss callback too; here so dlock never exits first
                err.println("dlock: lock " + DlockCommand.describe(handle.name()) + " was lost while the command ran; the command was killed");
                return ExitCodes.LOCK_LOST;
            }
            if (started != null && ProcessTree.isRunning(started)) { // the guard died (SIGKILL) and left the command behind
                ProcessTree.kill(started);
                err.println("dlock: the watcher process ended unexpectedly (exit " + exit + "); the command was killed before the lock was released");
                return ExitCodes.LOCK_LOST;
            }
            return exit;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopWithDlock);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or will run; nothing to undo
            }
        }
    }

    /**
     * The command, once the guard has started it (its only child), so that dlock can still stop
     * it should the guard itself be killed; null if the guard ended first. (A guard killed in the
     * few milliseconds between starting the command and this noticing it leaves the command
     * unknown to dlock.)
     */
    private static ProcessHandle awaitCommand(Process guard) throws InterruptedException {
        while (guard.isAlive()) {
            java.util.Optional<ProcessHandle> child = guard.toHandle().children().findFirst();
            if (child.isPresent()) return child.get();
            Thread.sleep(5);
        }
        return null;
    }

    /**
     * The {@link CommandGuard} JVM (~16 MB heap, started in well under a second) that runs the
     * command with dlock's streams and the lock's environment, and stops it should dlock die
     * without running its shutdown hook (SIGKILL).
     */
    private ProcessBuilder guarded() {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> argv = new ArrayList<>(List.of(java, "-Xmx16m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-XX:-UsePerfData", "-cp", System.getProperty("java.class.path"), CommandGuard.class.getName(),
                Long.toString(ProcessHandle.current().pid())));
        argv.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(argv).inheritIO();
        builder.environment().put("DLOCK_NAME", handle.name());
        builder.environment().put("DLOCK_FENCING_TOKEN", Long.toString(handle.fencingToken()));
        return builder;
    }

    /** Whether {@code program} names a file, directly or through {@code PATH}, as the OS will look it up. */
    private static boolean exists(String program) {
        if (program.isEmpty()) return false;
        if (program.contains(File.separator)) return Files.exists(Path.of(program));
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.exists(Path.of(dir, program))) return true;
        }
        return false;
    }
}
