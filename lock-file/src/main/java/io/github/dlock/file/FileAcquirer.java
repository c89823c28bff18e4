package io.github.dlock.file;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockMode;
import io.github.dlock.RetryStrategy;
import io.github.dlock.spi.Acquirer;
import io.github.dlock.spi.Deadline;
import io.github.dlock.spi.HeldLock;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The acquisition steps every file lock kind shares: open the file through the JVM-wide
 * table, let the kind take its local and OS locks, check the file was not replaced
 * meanwhile (retrying on a fresh file if it was), then draw a fencing token and write the
 * holder record. On any failure nothing stays held.
 */
abstract class FileAcquirer implements Acquirer {
    final FileLockProvider provider;
    final String name;
    final Path path;
    final LockMode mode;

    FileAcquirer(FileLockProvider provider, String name, String suffix, LockMode mode) {
        this.provider = provider;
        this.name = name;
        this.path = provider.pathFor(name, suffix);
        this.mode = mode;
    }

    /**
     * Takes this kind's locks on {@code file} by the deadline.
     *
     * @return what gives them back, or {@code null} if they were not taken in time
     */
    abstract Runnable lockOn(LockFile file, Deadline deadline) throws InterruptedException;

    RetryStrategy retry() {
        return provider.retryStrategy();
    }

    @Override
    public final HeldLock tryAcquire(Deadline deadline) throws InterruptedException {
        LockFileTable table = provider.table();
        while (true) {
            LockFile file = open(table);
            boolean handedOver = false;
            try {
                Runnable unlock = lockOn(file, deadline);
                if (unlock == null) return null;
                if (!file.stillAtPath()) {
                    unlock.run();
                    continue;
                }
                HeldLock held = register(table, file, unlock);
                handedOver = true;
                return held;
            } finally {
                if (!handedOver) table.release(file);
            }
        }
    }

    private LockFile open(LockFileTable table) {
        try {
            return table.acquire(path);
        } catch (IOException e) {
            throw new LockBackendException("cannot open lock file " + path + ": " + e.getMessage(), e);
        }
    }

    private HeldLock register(LockFileTable table, LockFile file, Runnable unlock) {
        try {
            long token = file.nextFencingToken(mode == LockMode.EXCLUSIVE || mode == LockMode.WRITE);
            LockFile.RecordSlot record = file.registerHolder(provider.ownerId(), mode, Instant.now());
            FileHeldLock held = new FileHeldLock(name, token, table, file, record, unlock);
            file.track(held);
            return held;
        } catch (RuntimeException e) {
            unlock.run();
            throw e;
        }
    }
}
