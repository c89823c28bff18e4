package io.github.dlock.cli;

import io.github.dlock.LockHandle;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a command while a lock is held: the command inherits dlock's standard streams, gets
 * the lock's name and fencing token in its environment, and is terminated (with its
 * descendants) if the lock is lost or dlock itself is stopped.
 */
final class GuardedProcess {
    private static final long TERMINATE_GRACE_SECONDS = 10;

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
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        builder.environment().put("DLOCK_NAME", handle.name());
        builder.environment().put("DLOCK_FENCING_TOKEN", Long.toString(handle.fencingToken()));
        if (!exists(command.get(0))) {
            err.println("dlock: command not found: " + command.get(0));
            return ExitCodes.COMMAND_NOT_FOUND;
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            err.println("dlock: cannot run '" + command.get(0) + "': " + e.getMessage());
            return ExitCodes.CANNOT_EXECUTE;
        }
        AtomicBoolean lost = new AtomicBoolean();
        handle.lost().thenRun(() -> {
            lost.set(true);
            terminate(process);
        });
        Thread stopWithDlock = new Thread(() -> terminate(process), "dlock-stop-command");
        Runtime.getRuntime().addShutdownHook(stopWithDlock);
        try {
            int exit = process.waitFor();
            if (lost.get()) {
                err.println("dlock: lock " + DlockCommand.describe(handle.name()) + " was lost while the command ran; the command was terminated");
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

    /** Whether {@code program} names a file, directly or through {@code PATH}, as the OS will look it up. */
    private static boolean exists(String program) {
        if (program.contains(File.separator)) return Files.exists(Path.of(program));
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.exists(Path.of(dir, program))) return true;
        }
        return false;
    }

    private static void terminate(Process process) {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(TERMINATE_GRACE_SECONDS, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
