package io.github.dlock.file;

import io.github.dlock.spi.HeldLock;

/** One acquisition on a lock file: its holder record, the OS locks to give back, and the file reference. */
final class FileHeldLock extends HeldLock {
    private final LockFileTable table;
    private final LockFile file;
    private final LockFile.RecordSlot record;
    private final Runnable unlock;

    FileHeldLock(String name, long fencingToken, LockFileTable table, LockFile file, LockFile.RecordSlot record, Runnable unlock) {
        super(name, fencingToken);
        this.table = table;
        this.file = file;
        this.record = record;
        this.unlock = unlock;
    }

    /** Waiters in this JVM move on at once (to the file now at the path, if this one went stale). */
    @Override
    protected void wakeLocalWaiters() {
        file.localRelease().signalAll();
    }

    @Override
    protected void releaseInBackend() {
        file.untrack(this);
        try {
            file.unregisterHolder(record);
        } finally {
            try {
                unlock.run();
            } finally {
                table.release(file);
                file.localRelease().signalAll();
            }
        }
    }
}
