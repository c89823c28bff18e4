package io.github.dlock.file;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockMode;
import io.github.dlock.RetryStrategy;
import io.github.dlock.internal.AcquireLoop;
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
    /**
     * How long a process ahead in the file's queue ({@link FileTurns}) may leave the lock free
     * before this acquirer stops yielding to it: twice the retry strategy's longest pause, at
     * least 1 s.
     */
    final long yieldLimitNanos;

    FileAcquirer(FileLockProvider provider, String name, String suffix, LockMode mode) {
        this.provider = provider;
        this.name = name;
        this.path = provider.pathFor(name, suffix);
        this.mode = mode;
        long longestPause = provider.retryStrategy().delayNanos(64);
        this.yieldLimitNanos = longestPause > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : Math.max(1_000_000_000L, 2 * longestPause);
    }

    /**
     * Waits on {@code file} for one of this kind's locks, which {@code take} tries to take (for
     * the given waiter of this JVM, {@code null} before the first failed attempt) while taking
     * turns with other processes ({@link FileTurns}): this JVM joins the file's queue of waiting
     * processes after a first failed attempt of a wait, and leaves it when the wait ends.
     */
    <T> T waitTakingTurns(LockFile file, Deadline deadline, java.util.function.Function<FileTurns.Waiter, T> take) throws InterruptedException {
        FileTurns turns = file.turns();
        FileTurns.Waiter[] waiting = {null};
        try {
            return AcquireLoop.run(deadline, retry(), file.localRelease(), whileCurrent(file, () -> {
                T taken = take.apply(waiting[0]);
                if (taken != null) waiting[0] = null; // its turn is over: the take told the queue
                else if (waiting[0] == null && !deadline.isImmediate()) waiting[0] = turns.startWaiting(file);
                return taken;
            }), 0, () -> waiting[0] != null && turns.pauseShortly(waiting[0]));
        } finally {
            if (waiting[0] != null) turns.stopWaiting(file, waiting[0]);
        }
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
                Runnable unlock;
                try {
                    unlock = lockOn(file, deadline);
                } catch (StaleFile e) {
                    continue; // the file was deleted or replaced while we waited: wait on the one at the path now
                }
                if (unlock == null) return null;
                if (!file.stillAtPath()) {
                    unlock.run();
                    continue;
                }
                HeldLock held = register(table, file, unlock, deadline);
                if (held == null) return null;
                handedOver = true;
                return held;
            } finally {
                if (!handedOver) table.release(file);
            }
        }
    }

    /**
     * {@code attempt}, which gives up waiting on {@code file} once it is stale (deleted or
     * replaced: its holders have lost their locks, and nobody will ever release it), so the
     * wait goes on at once on the file now at the path.
     */
    static <T> AcquireLoop.Attempt<T> whileCurrent(LockFile file, AcquireLoop.Attempt<T> attempt) {
        return () -> {
            if (file.isStale()) throw StaleFile.INSTANCE;
            return attempt.tryOnce();
        };
    }

    /** Thrown out of a wait on a stale file; carries no stack trace. */
    private static final class StaleFile extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final StaleFile INSTANCE = new StaleFile();

        private StaleFile() {
            super("lock file is stale", null, false, false);
        }
    }

    private LockFile open(LockFileTable table) {
        try {
            return table.acquire(path);
        } catch (IOException e) {
            throw new LockBackendException("cannot open lock file " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Draws a fencing token and writes the holder record for locks that {@code unlock} gives
     * back; {@code null} (with them given back) if the token could not be drawn by the deadline.
     */
    private HeldLock register(LockFileTable table, LockFile file, Runnable unlock, Deadline deadline) throws InterruptedException {
        try {
            Long token = file.nextFencingToken(mode == LockMode.EXCLUSIVE || mode == LockMode.WRITE, deadline);
            if (token == null) {
                unlock.run();
                return null;
            }
            LockFile.RecordSlot record = file.registerHolder(provider.ownerId(), mode, Instant.now());
            FileHeldLock held = new FileHeldLock(name, token, table, file, record, unlock);
            file.track(held);
            return held;
        } catch (RuntimeException | InterruptedException e) {
            unlock.run();
            throw e;
        }
    }
}
