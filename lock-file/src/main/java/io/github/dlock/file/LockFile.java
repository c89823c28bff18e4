package io.github.dlock.file;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockHolder;
import io.github.dlock.LockMode;
import io.github.dlock.spi.HeldLock;
import io.github.dlock.spi.WakeSignal;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One lock file as seen by this JVM: its single channel and everything done through it.
 *
 * <p>Layout. Data and locked ranges never overlap (byte-range locks are mandatory on some
 * systems): bytes 0-7 hold the fencing counter, records of current holders start at
 * {@value #RECORDS_AT} ({@value #RECORD_SIZE} bytes each); lock ranges sit far beyond the
 * data: lock byte {@code i} at {@code 2^40 + i}, the counter's lock at {@code 2^41}, and the
 * liveness lock of record slot {@code k} at {@code 2^42 + k}. A record counts only while its
 * liveness byte is locked, so records left by killed processes are ignored.
 *
 * <p>Interrupts. A thread interrupted during I/O on a {@link FileChannel} closes it, which
 * would silently drop every lock of this JVM on the file. Every channel operation here runs
 * with the caller's interrupt status cleared and then restored; should an interrupt still
 * land mid-operation, the file is marked stale and every lock held on it is reported lost.
 */
final class LockFile {
    static final long RECORDS_AT = 4096;
    static final int RECORD_SIZE = 1024;
    private static final long LOCK_BYTES_AT = 1L << 40;
    private static final long COUNTER_LOCK_AT = 1L << 41;
    private static final long LIVENESS_AT = 1L << 42;

    private final Path path;
    private final FileChannel channel;
    private final Object fileKey;
    private final Set<HeldLock> heldLocks = ConcurrentHashMap.newKeySet();
    private final BitSet localRecordSlots = new BitSet();
    private final WakeSignal localRelease = new WakeSignal();
    private final Object counterLock = new Object();
    private volatile Object localState;
    private volatile boolean stale;
    int references; // guarded by the LockFileTable
    long idleSinceNanos; // guarded by the LockFileTable

    private LockFile(Path path, FileChannel channel, Object fileKey) {
        this.path = path;
        this.channel = channel;
        this.fileKey = fileKey;
    }

    static LockFile open(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            return new LockFile(path, channel, Files.readAttributes(path, BasicFileAttributes.class).fileKey());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    Path path() {
        return path;
    }

    boolean isStale() {
        return stale;
    }

    /** Signalled whenever a lock on this file is released in this JVM. */
    WakeSignal localRelease() {
        return localRelease;
    }

    /** The JVM-wide coordination state of the lock kind using this file, created on first use. */
    @SuppressWarnings("unchecked")
    <T> T localState(Supplier<T> create) {
        Object s = localState;
        if (s == null) {
            synchronized (this) {
                s = localState;
                if (s == null) localState = s = create.get();
            }
        }
        return (T) s;
    }

    /** Tries to lock byte {@code index} of the lock range; {@code null} if another process holds it. */
    java.nio.channels.FileLock tryLock(long index, boolean shared) {
        return io(() -> channel.tryLock(LOCK_BYTES_AT + index, 1, shared));
    }

    /** The lock-byte index that {@code lock} (from {@link #tryLock}) covers. */
    static long indexOf(java.nio.channels.FileLock lock) {
        return lock.position() - LOCK_BYTES_AT;
    }

    void unlock(java.nio.channels.FileLock lock) {
        if (!channel.isOpen()) return; // closing already released it
        io(() -> {
            lock.release();
            return null;
        });
    }

    /**
     * Whether the path still names the file this channel has open. A lock taken on a file
     * that was deleted or replaced excludes nobody; the caller must retry on a fresh file.
     */
    boolean stillAtPath() {
        if (fileKey == null) return true; // the platform has no file keys (e.g. Windows); deletion is impossible there while open
        try {
            boolean same = fileKey.equals(Files.readAttributes(path, BasicFileAttributes.class).fileKey());
            if (!same) markStale("lock file " + path + " was replaced while in use");
            return same;
        } catch (NoSuchFileException e) {
            markStale("lock file " + path + " was deleted while in use");
            return false;
        } catch (IOException e) {
            throw new LockBackendException("cannot read attributes of lock file " + path, e);
        }
    }

    /**
     * Increments and returns the file's fencing counter, atomically across processes.
     *
     * @param exclusiveHolder whether the caller holds this file's lock exclusively (mutex,
     *     writer): then nobody else can be incrementing, and the counter's own lock is skipped
     */
    long nextFencingToken(boolean exclusiveHolder) {
        if (exclusiveHolder) return io(this::incrementCounter);
        synchronized (counterLock) { // the JDK forbids two threads of one JVM locking the same range
            return io(() -> {
                try (java.nio.channels.FileLock ignored = channel.lock(COUNTER_LOCK_AT, 1, false)) {
                    return incrementCounter();
                }
            });
        }
    }

    private long incrementCounter() throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(8);
        while (buf.hasRemaining() && channel.read(buf, buf.position()) >= 0) { /* read up to 8 bytes */ }
        long next = (buf.position() == 8 ? buf.flip().getLong() : 0) + 1;
        channel.write(buf.clear().putLong(next).flip(), 0);
        return next;
    }

    /** Claims a record slot, writes who holds the lock into it and returns the slot. */
    RecordSlot registerHolder(String ownerId, LockMode mode, Instant since) {
        synchronized (localRecordSlots) {
            for (int slot = localRecordSlots.nextClearBit(0); ; slot = localRecordSlots.nextClearBit(slot + 1)) {
                long at = LIVENESS_AT + slot;
                java.nio.channels.FileLock liveness = io(() -> channel.tryLock(at, 1, false));
                if (liveness == null) continue;
                localRecordSlots.set(slot);
                String record = HolderRecord.format(ownerId, mode, since);
                writeRecord(slot, record);
                return new RecordSlot(slot, liveness);
            }
        }
    }

    /**
     * Frees a record slot. The record's text stays in the file: readers trust a record only
     * while its liveness lock is held, so clearing it would cost a write for nothing.
     */
    void unregisterHolder(RecordSlot slot) {
        synchronized (localRecordSlots) {
            unlock(slot.liveness);
            localRecordSlots.clear(slot.index);
        }
    }

    /** The holders whose records are live: this JVM's from its own table, others' by probing liveness locks. */
    List<LockHolder> holders() {
        List<LockHolder> result = new ArrayList<>();
        synchronized (localRecordSlots) {
            long size = io(channel::size);
            for (int slot = 0; RECORDS_AT + (long) slot * RECORD_SIZE < size; slot++) {
                ByteBuffer buf = ByteBuffer.allocate(RECORD_SIZE);
                long at = RECORDS_AT + (long) slot * RECORD_SIZE;
                io(() -> channel.read(buf, at));
                LockHolder holder = HolderRecord.parse(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8));
                if (holder == null) continue;
                if (localRecordSlots.get(slot) || isLiveElsewhere(slot)) result.add(holder);
            }
        }
        return result;
    }

    private boolean isLiveElsewhere(int slot) {
        java.nio.channels.FileLock probe = io(() -> channel.tryLock(LIVENESS_AT + slot, 1, true));
        if (probe == null) return true;
        unlock(probe);
        return false;
    }

    private void writeRecord(int slot, String record) {
        byte[] bytes = record.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(RECORD_SIZE).put(bytes, 0, Math.min(bytes.length, RECORD_SIZE - 1)).clear();
        io(() -> channel.write(buf, RECORDS_AT + (long) slot * RECORD_SIZE));
    }

    void track(HeldLock lock) {
        heldLocks.add(lock);
        if (stale) lock.markLost("lock file " + path + " became unusable");
    }

    void untrack(HeldLock lock) {
        heldLocks.remove(lock);
    }

    /** Stops new use of this file and reports every lock held on it as lost. */
    void markStale(String reason) {
        stale = true;
        for (HeldLock lock : heldLocks) lock.markLost(reason);
    }

    void closeChannel() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new LockBackendException("cannot close lock file " + path, e);
        }
    }

    @FunctionalInterface
    private interface Io<T> {
        T run() throws IOException;
    }

    private <T> T io(Io<T> op) {
        boolean interrupted = Thread.interrupted();
        try {
            return op.run();
        } catch (ClosedChannelException e) {
            markStale("the channel of lock file " + path + " was closed (an interrupt during file I/O?); its OS locks are gone");
            throw new LockBackendException("lock file " + path + " is closed", e);
        } catch (OverlappingFileLockException e) {
            throw new IllegalStateException("bug: overlapping lock on " + path + " within one JVM", e);
        } catch (IOException e) {
            throw new LockBackendException("I/O error on lock file " + path + ": " + e.getMessage(), e);
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** A claimed holder-record slot and the lock that marks it live. */
    static final class RecordSlot {
        final int index;
        final java.nio.channels.FileLock liveness;

        RecordSlot(int index, java.nio.channels.FileLock liveness) {
            this.index = index;
            this.liveness = Objects.requireNonNull(liveness);
        }
    }
}
