package io.github.dlock.file;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The lock files this JVM has open, shared by every provider in it. POSIX drops all of a
 * process's locks on a file when any descriptor of that file is closed, and the JDK refuses
 * overlapping locks from two channels of one JVM; so each file gets exactly one channel per
 * JVM, reference-counted and closed only when no lock on it is held or wanted.
 */
final class LockFileTable {
    static final LockFileTable JVM_WIDE = new LockFileTable();

    private final Map<Path, LockFile> open = new HashMap<>();

    /** The file at {@code path} (absolute, normalized), opened or created if needed; pair with {@link #release}. */
    synchronized LockFile acquire(Path path) throws IOException {
        LockFile file = open.get(path);
        if (file == null || file.isStale()) {
            file = LockFile.open(path);
            open.put(path, file);
        }
        file.references++;
        return file;
    }

    synchronized void release(LockFile file) {
        if (--file.references > 0) return;
        if (open.get(file.path()) == file) open.remove(file.path());
        file.closeChannel();
    }

    /** How many files under {@code directory} are open; for tests. */
    synchronized long openFilesUnder(Path directory) {
        return open.keySet().stream().filter(p -> p.startsWith(directory)).count();
    }
}
