package io.github.dlock.file;

import io.github.dlock.internal.ProviderRuntime;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock files this JVM has open, shared by every provider in it. POSIX drops all of a
 * process's locks on a file when any descriptor of that file is closed, and the JDK refuses
 * overlapping locks from two channels of one JVM; so each file gets exactly one channel per
 * JVM, reference-counted. A file no lock uses stays open a while (up to {@value #MAX_IDLE}
 * files, each for {@value #IDLE_CLOSE_MS} ms, and until its provider closes), so that a lock
 * taken again and again does not open and close its file every time.
 *
 * <p>A watchdog checks every {@value #WATCH_INTERVAL_MS} ms that each open file is still the
 * one at its path, so that deleting or replacing a lock file in use completes the
 * {@code lost()} signal of the handles on it within about a second.
 */
final class LockFileTable {
    static final LockFileTable JVM_WIDE = new LockFileTable();
    static final long WATCH_INTERVAL_MS = 1000;
    static final long IDLE_CLOSE_MS = 5000;
    static final int MAX_IDLE = 256;
    private static final Logger LOG = LoggerFactory.getLogger(LockFileTable.class);

    private final Map<Path, LockFile> open = new HashMap<>();
    private final java.util.LinkedHashSet<LockFile> idle = new java.util.LinkedHashSet<>(); // open, unused; oldest first
    private ScheduledExecutorService watchdog; // guarded by lock; started on first use
    private final ReentrantLock lock = new ReentrantLock(); // not a monitor: opening and closing files is I/O

    /** The file at {@code path} (absolute, normalized), opened or created if needed; pair with {@link #release}. */
    LockFile acquire(Path path) throws IOException {
        lock.lock();
        try {
            return acquireLocked(path);
        } finally {
            lock.unlock();
        }
    }

    private LockFile acquireLocked(Path path) throws IOException {
        LockFile file = open.get(path);
        if (file != null && file.isStale()) {
            if (idle.remove(file)) file.closeChannel(); // nobody uses the stale one
            file = null;
        }
        if (file == null) {
            file = LockFile.open(path);
            open.put(path, file);
        }
        if (file.references++ == 0) idle.remove(file);
        if (watchdog == null) {
            watchdog = Executors.newSingleThreadScheduledExecutor(ProviderRuntime.daemonThreads("dlock-file-watchdog"));
            watchdog.scheduleWithFixedDelay(this::checkPaths, WATCH_INTERVAL_MS, WATCH_INTERVAL_MS, TimeUnit.MILLISECONDS);
        }
        return file;
    }

    private void checkPaths() {
        List<LockFile> files;
        lock.lock();
        try {
            long now = System.nanoTime();
            closeIdle(f -> now - f.idleSinceNanos > TimeUnit.MILLISECONDS.toNanos(IDLE_CLOSE_MS));
            files = new ArrayList<>(open.values());
        } finally {
            lock.unlock();
        }
        for (LockFile file : files) {
            try {
                file.stillAtPath();
            } catch (RuntimeException e) {
                LOG.debug("Cannot check lock file {}", file.path(), e);
            }
        }
    }

    void release(LockFile file) {
        lock.lock();
        try {
            releaseLocked(file);
        } finally {
            lock.unlock();
        }
    }

    private void releaseLocked(LockFile file) {
        if (--file.references > 0) return;
        if (open.get(file.path()) != file || file.isStale()) { // replaced meanwhile: nobody will use it again
            if (open.get(file.path()) == file) open.remove(file.path());
            file.closeChannel();
            return;
        }
        file.idleSinceNanos = System.nanoTime();
        idle.add(file);
        while (idle.size() > MAX_IDLE) closeIdle(idle.iterator().next());
    }

    /** Closes the unused files under {@code directory} (a provider of that directory closed). */
    void closeIdleUnder(Path directory) {
        lock.lock();
        try {
            closeIdle(f -> f.path().startsWith(directory));
        } finally {
            lock.unlock();
        }
    }

    private void closeIdle(java.util.function.Predicate<LockFile> which) {
        for (LockFile f : new ArrayList<>(idle)) {
            if (which.test(f)) closeIdle(f);
        }
    }

    private void closeIdle(LockFile file) {
        idle.remove(file);
        if (open.get(file.path()) == file) open.remove(file.path());
        file.closeChannel();
    }

    /** How many files under {@code directory} are open; for tests. */
    long openFilesUnder(Path directory) {
        lock.lock();
        try {
            return open.keySet().stream().filter(p -> p.startsWith(directory)).count();
        } finally {
            lock.unlock();
        }
    }
}
