package io.github.dlock.file;

import io.github.dlock.LockMode;
import io.github.dlock.spi.AcquireLoop;
import io.github.dlock.spi.Deadline;
import java.util.concurrent.Semaphore;

/**
 * Mutex on byte 0 of {@code NAME.lock}: threads of this JVM pass a local gate first, so only
 * one of them at a time polls the OS lock held by other processes.
 */
final class FileLock extends FileAcquirer {
    static final String SUFFIX = ".lock";

    FileLock(FileLockProvider provider, String name) {
        super(provider, name, SUFFIX, LockMode.EXCLUSIVE);
    }

    @Override
    Runnable lockOn(LockFile file, Deadline deadline) throws InterruptedException {
        Semaphore gate = file.localState(() -> new Semaphore(1, true));
        if (!await(gate, deadline)) return null;
        boolean taken = false;
        try {
            java.nio.channels.FileLock os = AcquireLoop.run(deadline, retry(), file.localRelease(), () -> file.tryLock(0, false));
            if (os == null) return null;
            taken = true;
            return () -> {
                try {
                    file.unlock(os);
                } finally {
                    gate.release();
                }
            };
        } finally {
            if (!taken) gate.release();
        }
    }
}
