package io.github.dlock.file;

import io.github.dlock.LockMode;
import io.github.dlock.internal.AcquireLoop;
import io.github.dlock.spi.Deadline;
import java.nio.channels.FileLock;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Reader-writer lock on {@code NAME.rwlock}, writer preferring within and across processes.
 *
 * <p>Across processes: lock byte {@link #DATA} is held shared by readers and exclusively by
 * the writer; byte {@link #TURNSTILE} is a gate every reader passes (a momentary shared lock)
 * before joining, and which a writer holds exclusively from before it waits for the readers
 * until it releases, so new readers queue behind a waiting writer.
 *
 * <p>Within this JVM: the JVM holds one shared OS lock for all its readers (the JDK allows no
 * overlapping locks within a JVM), and local readers are not admitted while a local writer
 * waits or writes. Every step is a non-blocking attempt under a short lock; waiting happens
 * between attempts, so a release never waits behind a reader stuck at another process's
 * turnstile.
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
            if (AcquireLoop.run(deadline, retry(), file.localRelease(), whileCurrent(file, () -> state.tryRead(file))) == null) return null;
            return () -> state.leaveRead(file);
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
            WriterProgress progress = new WriterProgress();
            state.writerArrives();
            try {
                if (AcquireLoop.run(deadline, retry(), file.localRelease(), whileCurrent(file, () -> state.tryWrite(file, progress))) == null) return null;
            } finally {
                state.writerLeavesQueue();
                if (progress.data == null) state.abandonWrite(file, progress);
            }
            return () -> state.leaveWrite(file, progress);
        }
    }

    /** What a writer has taken so far; kept across its attempts. */
    static final class WriterProgress {
        boolean admitted;
        FileLock turnstile;
        FileLock data;
    }

    /** This JVM's readers and writer of one file; every method is a short critical section. */
    static final class State {
        private int readers;
        private int waitingWriters;
        private boolean writer;
        private FileLock osShared;
        private final ReentrantLock lock = new ReentrantLock(); // not a monitor: steps do I/O

        /** One read attempt: local admission, the turnstile, then the JVM's shared OS lock. */
        Boolean tryRead(LockFile file) {
            lock.lock();
            try {
                if (writer || waitingWriters > 0) return null;
                FileLock gate = file.tryLock(TURNSTILE, true);
                if (gate == null) return null;
                file.unlock(gate);
                if (osShared == null) {
                    osShared = file.tryLock(DATA, true);
                    if (osShared == null) return null;
                }
                readers++;
                return Boolean.TRUE;
            } finally {
                lock.unlock();
            }
        }

        void leaveRead(LockFile file) {
            lock.lock();
            try {
                if (--readers == 0) {
                    FileLock shared = osShared;
                    osShared = null;
                    file.unlock(shared);
                }
            } finally {
                lock.unlock();
            }
        }

        void writerArrives() {
            lock.lock();
            try {
                waitingWriters++;
            } finally {
                lock.unlock();
            }
        }

        void writerLeavesQueue() {
            lock.lock();
            try {
                waitingWriters--;
            } finally {
                lock.unlock();
            }
        }

        /** One write attempt, resuming where the last one stopped: local admission, turnstile, data. */
        Boolean tryWrite(LockFile file, WriterProgress p) {
            lock.lock();
            try {
                if (!p.admitted) {
                    if (writer || readers > 0) return null;
                    writer = true;
                    p.admitted = true;
                }
                if (p.turnstile == null) {
                    p.turnstile = file.tryLock(TURNSTILE, false);
                    if (p.turnstile == null) return null;
                }
                p.data = file.tryLock(DATA, false);
                return p.data == null ? null : Boolean.TRUE;
            } finally {
                lock.unlock();
            }
        }

        /** Gives back what a writer that timed out, was interrupted or failed had taken. */
        void abandonWrite(LockFile file, WriterProgress p) {
            lock.lock();
            try {
                try {
                    if (p.turnstile != null) file.unlock(p.turnstile);
                } finally {
                    if (p.admitted) writer = false;
                    file.localRelease().signalAll();
                }
            } finally {
                lock.unlock();
            }
        }

        void leaveWrite(LockFile file, WriterProgress p) {
            lock.lock();
            try {
                try {
                    file.unlock(p.data);
                    file.unlock(p.turnstile);
                } finally {
                    writer = false;
                }
            } finally {
                lock.unlock();
            }
        }
    }
}
