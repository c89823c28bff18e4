package io.github.dlock.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The process that {@code dlock run} starts to run the guarded command for it: it starts the
 * command as its own child, and if dlock ends while the command still runs (even by SIGKILL,
 * which runs no shutdown hook, or an out-of-memory kill), the lock is gone or about to be, so
 * it kills the command and its descendants at once (SIGKILL: nothing protects them any more,
 * so there is no grace period). Its exit code is the command's. Arguments:
 * {@code DLOCK-PID COMMAND [ARG...]}.
 *
 * <p>Because the guard is watching before the command starts, there is no window in which
 * the command runs unwatched: the guard starts the command only while its parent is still
 * the dlock process named by DLOCK-PID (a process's parent changes the moment that parent
 * dies), and checks its parent again every {@value #POLL_MILLIS} ms while the command runs.
 * A SIGTERM or SIGINT to the guard terminates the command tree through a shutdown hook
 * (SIGTERM, SIGKILL after {@value #TERMINATE_GRACE_SECONDS} s). Works wherever
 * {@link ProcessHandle} does (Linux, macOS, Windows).
 */
public final class CommandGuard {
    static final long TERMINATE_GRACE_SECONDS = 10;
    static final long POLL_MILLIS = 100;

    /** Guards {@link #started} and {@link #stopping}: the command starts only while no shutdown has begun. */
    private static final ReentrantLock STATE = new ReentrantLock();
    private static Process started; // guarded by STATE
    private static boolean stopping; // guarded by STATE

    private CommandGuard() {}

    /**
     * Runs the guard; never returns normally, it exits with the command's exit code, with
     * {@value ExitCodes#LOCK_LOST} if dlock is gone before the command starts or while it runs
     * (the command tree is then killed), or with {@value ExitCodes#CANNOT_EXECUTE} if the
     * command cannot be started.
     *
     * @param args the pid of the dlock process, then the command and its arguments
     * @throws InterruptedException if the main thread is interrupted while waiting for the
     *     command
     */
    public static void main(String[] args) throws InterruptedException {
        long dlock = Long.parseLong(args[0]);
        List<String> command = Arrays.asList(args).subList(1, args.length);
        // The hook is in place before the command can start: a SIGTERM/SIGINT at any moment
        // either finds the command started (and terminates it) or keeps it from starting.
        Runtime.getRuntime().addShutdownHook(new Thread(CommandGuard::stop, "dlock-guard-stop-command"));
        if (!childOf(dlock)) System.exit(ExitCodes.LOCK_LOST); // dlock died before the command started: do not start it
        Process process = null;
        IOException cannotStart = null;
        STATE.lock();
        try {
            if (stopping) return; // signalled before the command started: it never runs; the JVM exits once the hook returns
            process = new ProcessBuilder(command).inheritIO().start();
            started = process;
        } catch (IOException e) {
            cannotStart = e;
        } finally {
            STATE.unlock(); // before any System.exit: the hook takes STATE
        }
        if (cannotStart != null) {
            System.err.println("dlock: cannot run '" + command.get(0) + "': " + cannotStart.getMessage());
            System.exit(ExitCodes.CANNOT_EXECUTE);
            return;
        }
        while (!process.waitFor(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
            if (!childOf(dlock)) {
                ProcessTree.kill(process.toHandle());
                System.exit(ExitCodes.LOCK_LOST);
            }
        }
        System.exit(process.exitValue());
    }

    /** The shutdown hook: no command starts from now on; one already started is terminated with its tree. */
    private static void stop() {
        Process process;
        STATE.lock();
        try {
            stopping = true;
            process = started;
        } finally {
            STATE.unlock();
        }
        if (process != null) terminate(process.toHandle());
    }

    /**
     * Whether this process's parent is still {@code dlock} and alive: on Unix a dead parent's
     * children are re-parented at once; the liveness check (which compares start times, so a
     * recycled pid does not count) covers systems that do not re-parent.
     */
    private static boolean childOf(long dlock) {
        Optional<ProcessHandle> parent = ProcessHandle.current().parent();
        return parent.isPresent() && parent.get().pid() == dlock && parent.get().isAlive();
    }

    /** SIGTERM to {@code process} and its descendants, SIGKILL to what is left after the grace period. */
    static void terminate(ProcessHandle process) {
        ProcessTree.terminate(process, Duration.ofSeconds(TERMINATE_GRACE_SECONDS));
    }
}
