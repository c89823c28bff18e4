package io.github.dlock.file;

import io.github.dlock.LockMode;
import io.github.dlock.spi.AcquireLoop;
import io.github.dlock.spi.Deadline;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Mutex on lock byte 0 of {@code NAME.lock}. Each attempt first takes this JVM's gate for the
 * file, so only one local thread at a time touches the OS lock; local releases wake local
 * waiters at once, locks held by other processes are polled for.
 */
final class FileLock extends FileAcquirer {
    static final String SUFFIX = ".lock";

    FileLock(FileLockProvider provider, String name) {
        super(provider, name, SUFFIX, LockMode.EXCLUSIVE);
    }

    @Override
    Runnable lockOn(LockFile file, Deadline deadline) throws InterruptedException {
        AtomicBoolean gate = file.localState(AtomicBoolean::new);
        java.nio.channels.FileLock os = AcquireLoop.run(deadline, retry(), file.localRelease(), () -> {
            if (!gate.compareAndSet(false, true)) return null;
            java.nio.channels.FileLock taken = null;
            try {
                taken = file.tryLock(0, false);
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
