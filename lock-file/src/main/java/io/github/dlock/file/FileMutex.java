package io.github.dlock.file;

import io.github.dlock.LockMode;
import io.github.dlock.spi.Deadline;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Mutex on lock byte 0 of {@code NAME.lock}. Each attempt first takes this JVM's gate for the
 * file, so only one local thread at a time touches the OS lock; local releases wake local
 * waiters at once, locks held by other processes are polled for, and processes waiting for the
 * lock take turns ({@link FileTurns}).
 */
final class FileMutex extends FileAcquirer {
    static final String SUFFIX = ".lock";

    FileMutex(FileLockProvider provider, String name) {
        super(provider, name, SUFFIX, LockMode.EXCLUSIVE);
    }

    @Override
    Runnable lockOn(LockFile file, Deadline deadline) throws InterruptedException {
        AtomicBoolean gate = file.localState(AtomicBoolean::new);
        FileTurns turns = file.turns();
        boolean immediate = deadline.isImmediate();
        java.nio.channels.FileLock os = waitTakingTurns(file, deadline, waiter -> {
            if (!gate.compareAndSet(false, true)) return null;
            java.nio.channels.FileLock taken = null;
            try {
                boolean yield = !immediate && turns.mustYield(file); // only waits take turns
                taken = file.tryLock(0, false);
                if (yield) { // another process's turn: leave the lock free for it
                    turns.yielded(file, taken != null, yieldLimitNanos);
                    java.nio.channels.FileLock free = taken;
                    taken = null;
                    if (free != null) file.unlock(free);
                    return null;
                }
                if (taken != null) turns.took(file, waiter);
                return taken;
            } finally {
                if (taken == null) gate.set(false);
            }
        });
        if (os == null) return null;
        return () -> {
            try {
                file.unlock(os);
            } finally {
                gate.set(false);
            }
        };
    }
}
