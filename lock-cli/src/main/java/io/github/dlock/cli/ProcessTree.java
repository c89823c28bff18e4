package io.github.dlock.cli;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Stops a process and everything it started. The tree is taken as a set of
 * {@link ProcessHandle}s (which carry start times, so a recycled pid is never signalled) and
 * grows while it is being stopped: descendants of members still alive are added on every look,
 * and members stay in the set after their parent dies (when they are re-parented and no longer
 * its descendants), so a child that ignores SIGTERM is still killed after its parent exited.
 */
final class ProcessTree {
    private static final long POLL_MILLIS = 20;

    private final Set<ProcessHandle> members = new LinkedHashSet<>();

    private ProcessTree(ProcessHandle root) {
        members.add(root);
        grow();
    }

    /** SIGKILL to {@code root} and its descendants, now; returns once they are gone (at most a few seconds). */
    static void kill(ProcessHandle root) {
        new ProcessTree(root).killAll(Duration.ofSeconds(5));
    }

    /**
     * SIGTERM to {@code root} and its descendants; SIGKILL to every member still alive after
     * {@code grace}. Returns once they are gone (or after the grace and a few seconds more).
     */
    static void terminate(ProcessHandle root, Duration grace) {
        ProcessTree tree = new ProcessTree(root);
        tree.members.forEach(ProcessHandle::destroy);
        long end = System.nanoTime() + grace.toNanos();
        while (tree.anyAlive() && System.nanoTime() < end) {
            tree.grow().forEach(ProcessHandle::destroy); // late children get their SIGTERM too
            pause();
        }
        tree.killAll(Duration.ofSeconds(5));
    }

    private void killAll(Duration within) {
        long end = System.nanoTime() + within.toNanos();
        do {
            grow();
            members.forEach(ProcessHandle::destroyForcibly);
            if (!anyAlive()) return;
            pause();
        } while (System.nanoTime() < end);
    }

    /** Adds the current descendants of living members; returns the ones that are new. */
    private Set<ProcessHandle> grow() {
        Set<ProcessHandle> added = new LinkedHashSet<>();
        for (ProcessHandle p : Set.copyOf(members)) {
            if (p.isAlive()) p.descendants().forEach(d -> {
                if (members.add(d)) added.add(d);
            });
        }
        return added;
    }

    private boolean anyAlive() {
        return members.stream().anyMatch(ProcessTree::isRunning);
    }

    /**
     * Whether {@code p} still runs: alive and, on Linux, not a zombie (an exited process its
     * parent has not reaped yet, which {@link ProcessHandle#isAlive} still counts as alive and
     * no signal can stop).
     */
    static boolean isRunning(ProcessHandle p) {
        if (!p.isAlive()) return false;
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(p.pid()), "stat"));
            int afterName = stat.lastIndexOf(')'); // the name may contain spaces and parentheses
            return afterName < 0 || afterName + 2 >= stat.length() || stat.charAt(afterName + 2) != 'Z';
        } catch (java.io.IOException | RuntimeException noProc) {
            return p.isAlive(); // not Linux, or it just ended
        }
    }

    private static void pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // keep going: stopping the tree matters more; the caller sees the flag
        }
    }
}
