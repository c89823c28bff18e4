package io.github.dlock.file;

import io.github.dlock.LockMode;
import io.github.dlock.spi.Deadline;
import java.nio.channels.FileLock;
import java.util.BitSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Semaphore of N permits as N lock bytes of {@code NAME.sem}; a permit is the first byte that
 * neither this JVM nor another process holds. Local releases wake local waiters at once;
 * permits held by other processes are polled for; processes waiting for permits take turns
 * ({@link FileTurns}).
 */
final class FileSemaphore extends FileAcquirer {
    static final String SUFFIX = ".sem";
    /** Each attempt scans the permits, so the count is bounded to keep attempts cheap. */
    static final int MAX_PERMITS = 65_536;

    private final int permits;

    FileSemaphore(FileLockProvider provider, String name, int permits) {
        super(provider, name, SUFFIX, LockMode.PERMIT);
        if (permits > MAX_PERMITS) {
            throw new IllegalArgumentException("permits must be at most " + MAX_PERMITS + " on the file backend: " + permits);
        }
        this.permits = permits;
    }

    @Override
    Runnable lockOn(LockFile file, Deadline deadline) throws InterruptedException {
        Slots slots = file.localState(Slots::new);
        FileTurns turns = file.turns();
        FileLock os = waitTakingTurns(file, deadline, waiter -> slots.tryTake(file, permits, turns, waiter, deadline.isImmediate(), yieldLimitNanos));
        if (os == null) return null;
        return () -> slots.give(file, os);
    }

    /** The permits this JVM holds on one file; a lock (not a monitor) guards them, as taking one does I/O. */
    static final class Slots {
        private final BitSet taken = new BitSet();
        private final ReentrantLock lock = new ReentrantLock();

        /**
         * The OS lock of the first permit nobody holds, or {@code null}; while another process
         * has the turn ({@link FileTurns#mustYield}), only if a second permit is free, which is
         * left for it (unless the attempt is {@code immediate}: only waits take turns).
         */
        FileLock tryTake(LockFile file, int permits, FileTurns turns, FileTurns.Waiter waiter, boolean immediate,
                long yieldLimitNanos) {
            lock.lock();
            try {
                boolean yield = !immediate && turns.mustYield(file);
                boolean leftOne = false;
                for (int slot = taken.nextClearBit(0); slot < permits; slot = taken.nextClearBit(slot + 1)) {
                    FileLock os = file.tryLock(slot, false);
                    if (os == null) continue;
                    if (yield && !leftOne) {
                        leftOne = true;
                        file.unlock(os);
                        continue;
                    }
                    taken.set(slot);
                    if (yield) turns.yielded(file, true, yieldLimitNanos);
                    turns.took(file, waiter);
                    return os;
                }
                if (yield) turns.yielded(file, leftOne, yieldLimitNanos);
                return null;
            } finally {
                lock.unlock();
            }
        }

        void give(LockFile file, FileLock os) {
            int slot = (int) LockFile.indexOf(os);
            try {
                file.unlock(os);
            } finally {
                lock.lock();
                try {
                    taken.clear(slot);
                } finally {
                    lock.unlock();
                }
            }
        }
    }
}
