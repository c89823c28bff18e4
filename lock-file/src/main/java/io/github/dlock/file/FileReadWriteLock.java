package io.github.dlock.file;

import io.github.dlock.LockMode;
import io.github.dlock.spi.AcquireLoop;
import io.github.dlock.spi.Deadline;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Reader-writer lock on {@code NAME.rwlock}, writer preferring within and across processes.
 *
 * <p>Across processes: byte {@link #DATA} is held shared by readers and exclusively by the
 * writer; byte {@link #TURNSTILE} is a gate every reader passes (a momentary shared lock)
 * before joining, and which a writer holds exclusively from before it waits for the readers
 * until it releases, so new readers queue behind a waiting writer.
 *
 * <p>Within this JVM: the JVM holds one shared OS lock for all its readers (the JDK allows no
 * overlapping locks within a JVM), and a local gate keeps local readers out while a local
 * writer waits or writes. OS operations run under a short monitor and are polled, never
 * waited for while holding it, so a release never waits behind a reader stuck at a
 * turnstile held by another process's writer.
 */
final class FileReadWriteLock {
    static final String SUFFIX = ".rwlock";
    static final long DATA = 0;
    static final long TURNSTILE = 1;

    private FileReadWriteLock() {}

    /** The read side. */
    static final class Read extends FileAcquirer {
        Read(FileLockProvider provider, String name) {
            super(provider, name, SUFFIX, LockMode.READ);
        }

        @Override
        Runnable lockOn(LockFile file, Deadline deadline) throws InterruptedException {
            State state = file.localState(State::new);
            if (!state.admitReader(deadline)) return null;
            boolean joined = false;
            try {
                if (AcquireLoop.run(deadline, retry(), file.localRelease(), () -> state.tryJoinOsRead(file)) == null) return null;
                joined = true;
                return () -> {
                    try {
                        state.leaveOsRead(file);
                    } finally {
                        state.leaveReader();
                    }
                };
            } finally {
                if (!joined) state.leaveReader();
            }
        }
    }

    /** The write side. */
    static final class Write extends FileAcquirer {
        Write(FileLockProvider provider, String name) {
            super(provider, name, SUFFIX, LockMode.WRITE);
        }

        @Override
        Runnable lockOn(LockFile file, Deadline deadline) throws InterruptedException {
            State state = file.localState(State::new);
            if (!state.admitWriter(deadline)) return null;
            java.nio.channels.FileLock turnstile = null;
            java.nio.channels.FileLock data = null;
            try {
                turnstile = AcquireLoop.run(deadline, retry(), file.localRelease(), () -> file.tryLock(TURNSTILE, false));
                if (turnstile != null) {
                    data = AcquireLoop.run(deadline, retry(), file.localRelease(), () -> file.tryLock(DATA, false));
                }
            } finally {
                if (data == null) {
                    try {
                        if (turnstile != null) file.unlock(turnstile);
                    } finally {
                        state.leaveWriter();
                    }
                }
            }
            if (data == null) return null;
            java.nio.channels.FileLock heldTurnstile = turnstile;
            java.nio.channels.FileLock heldData = data;
            return () -> {
                try {
                    file.unlock(heldData);
                    file.unlock(heldTurnstile);
                } finally {
                    state.leaveWriter();
                }
            };
        }
    }

    /** This JVM's readers and writer of one file. */
    static final class State {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private int admittedReaders; // guarded by lock
        private int waitingWriters; // guarded by lock
        private boolean writer; // guarded by lock
        private java.nio.channels.FileLock osShared; // guarded by this
        private int osReaders; // guarded by this

        boolean admitReader(Deadline deadline) throws InterruptedException {
            lock.lockInterruptibly();
            try {
                while (writer || waitingWriters > 0) {
                    if (!FileAcquirer.await(changed, deadline)) return false;
                }
                admittedReaders++;
                return true;
            } finally {
                lock.unlock();
            }
        }

        void leaveReader() {
            lock.lock();
            try {
                admittedReaders--;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        boolean admitWriter(Deadline deadline) throws InterruptedException {
            lock.lockInterruptibly();
            try {
                waitingWriters++;
                boolean admitted = false;
                try {
                    while (writer || admittedReaders > 0) {
                        if (!FileAcquirer.await(changed, deadline)) return false;
                    }
                    admitted = true;
                    writer = true;
                    return true;
                } finally {
                    waitingWriters--;
                    if (!admitted) changed.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }

        void leaveWriter() {
            lock.lock();
            try {
                writer = false;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /** Passes the turnstile and joins (or takes) the JVM's shared OS lock; null if another process's writer is in the way. */
        synchronized Boolean tryJoinOsRead(LockFile file) {
            java.nio.channels.FileLock gate = file.tryLock(TURNSTILE, true);
            if (gate == null) return null;
            file.unlock(gate);
            if (osShared == null) {
                osShared = file.tryLock(DATA, true);
                if (osShared == null) return null;
            }
            osReaders++;
            return Boolean.TRUE;
        }

        synchronized void leaveOsRead(LockFile file) {
            if (--osReaders == 0) {
                java.nio.channels.FileLock shared = osShared;
                osShared = null;
                file.unlock(shared);
            }
        }
    }
}
