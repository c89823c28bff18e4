package io.github.dlock.file;

import io.github.dlock.LockMode;
import io.github.dlock.spi.AcquireLoop;
import io.github.dlock.spi.Deadline;
import java.util.BitSet;

/**
 * Semaphore of N permits as N lock bytes of {@code NAME.sem}; a permit is the first byte that
 * neither this JVM nor another process holds. Local releases wake local waiters at once;
 * permits held by other processes are polled for.
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
        BitSet localSlots = file.localState(BitSet::new);
        java.nio.channels.FileLock os = AcquireLoop.run(deadline, retry(), file.localRelease(), () -> {
            synchronized (localSlots) {
                for (int slot = localSlots.nextClearBit(0); slot < permits; slot = localSlots.nextClearBit(slot + 1)) {
                    java.nio.channels.FileLock taken = file.tryLock(slot, false);
                    if (taken != null) {
                        localSlots.set(slot);
                        return taken;
                    }
                }
                return null;
            }
        });
        if (os == null) return null;
        int slot = (int) LockFile.indexOf(os);
        return () -> {
            try {
                file.unlock(os);
            } finally {
                synchronized (localSlots) {
                    localSlots.clear(slot);
                }
            }
        };
    }
}
