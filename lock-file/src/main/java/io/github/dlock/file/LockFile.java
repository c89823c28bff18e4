package io.github.dlock.file;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockHolder;
import io.github.dlock.LockMode;
import io.github.dlock.spi.Deadline;
import io.github.dlock.spi.HeldLock;
import io.github.dlock.internal.WakeSignal;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
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
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One lock file as seen by this JVM: its single channel and everything done through it.
 *
 * <p>Layout. Data and locked ranges never overlap (byte-range locks are mandatory on some
 * systems): bytes 0-7 hold the fencing counter, bytes 8-15 the ticket counter of the waiting
 * processes' queue ({@link FileTurns}), bytes 16-23 how many of its places were ever used,
 * places (a ticket each, 0 when empty) from {@value #PLACES_AT} ({@value #MAX_PLACES} of 8
 * bytes), and records of current holders from {@value #RECORDS_AT} ({@value #RECORD_SIZE}
 * bytes each); lock ranges sit far beyond the data: lock byte {@code i} at {@code 2^40 + i},
 * the counter's lock at {@code 2^41}, the liveness lock of record slot {@code k} at
 * {@code 2^42 + k}, that of queue place {@code k} at {@code 2^43 + k}. A record or place
 * counts only while its liveness byte is locked, so those left by killed processes are
 * ignored.
 *
 * <p>Interrupts. A {@link java.nio.channels.FileChannel} is an interruptible channel: an
 * interrupt landing during its I/O closes it, and POSIX then drops every lock this JVM holds
 * on the file. So the file is opened as an {@link AsynchronousFileChannel}, which interrupts
 * cannot close, with an executor that runs each operation at once on the calling thread (no
 * thread hop): reads, writes, lock attempts and releases complete whatever the caller's
 * interrupt status, which is left as it was for the caller's own wait loop to act on.
 *
 * <p>Links. The file is opened with {@link LinkOption#NOFOLLOW_LINKS} and refused unless it
 * is a regular file with a single link, so nobody who can write to the lock directory can
 * make a lock operation read or write a file outside it.
 *
 * <p>Concurrency. The monitors of this class guard memory only; the short critical sections
 * that do I/O (record slots, the counter's lock) use {@link ReentrantLock}, which does not
 * pin a virtual thread's carrier.
 */
final class LockFile {
    static final long RECORDS_AT = 4096;
    static final int RECORD_SIZE = 1024;
    private static final long LOCK_BYTES_AT = 1L << 40;
    private static final long COUNTER_LOCK_AT = 1L << 41;
    private static final long LIVENESS_AT = 1L << 42;
    private static final long TICKETS_AT = 8;
    private static final long PLACES_USED_AT = 16;
    static final long PLACES_AT = 24;
    static final int MAX_PLACES = (int) ((RECORDS_AT - PLACES_AT) / 8);
    private static final long PLACE_LIVENESS_AT = 1L << 43;
    /** How long drawing a queue ticket waits for the counter's lock before going on without. */
    static final long TICKET_TRY_NANOS = 5_000_000;
    /** How long drawing a fencing token may wait for the counter's lock past an earlier deadline. */
    static final long FENCING_GRACE_NANOS = 50_000_000;

    private final Path path;
    private static final Set<OpenOption> OPTIONS = Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    private static final ExecutorService ON_CALLING_THREAD = new CallingThreadExecutor();

    private final AsynchronousFileChannel channel;
    private final Object fileKey;
    private final Set<HeldLock> heldLocks = ConcurrentHashMap.newKeySet();
    private final BitSet localRecordSlots = new BitSet(); // guarded by recordsLock
    private final ReentrantLock recordsLock = new ReentrantLock();
    private final WakeSignal localRelease = new WakeSignal();
    private final ReentrantLock counterLock = new ReentrantLock(); // the JDK forbids two threads of one JVM locking one range
    private volatile Object localState;
    private volatile FileTurns turns;
    private volatile boolean stale;
    int references; // guarded by the LockFileTable
    long idleSinceNanos; // guarded by the LockFileTable

    private LockFile(Path path, AsynchronousFileChannel channel, Object fileKey) {
        this.path = path;
        this.channel = channel;
        this.fileKey = fileKey;
    }

    /**
     * Opens (creating if absent) the lock file at {@code path}, never following a link.
     *
     * @throws IOException if it cannot be opened, or is not a regular file of one link (the
     *     message says which)
     */
    static LockFile open(Path path) throws IOException {
        AsynchronousFileChannel channel;
        try {
            channel = AsynchronousFileChannel.open(path, OPTIONS, ON_CALLING_THREAD);
        } catch (IOException e) {
            String refusal = refusal(path);
            if (refusal != null) throw new IOException(refusal, e);
            throw e;
        }
        try {
            String refusal = refusal(path);
            if (refusal != null) throw new IOException(refusal);
            return new LockFile(path, channel, Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Why the thing at {@code path} must not be used as a lock file, or {@code null} if it may. */
    private static String refusal(Path path) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (a.isSymbolicLink()) return "lock file " + path + " is a symbolic link; refusing to follow it out of the lock directory";
        if (!a.isRegularFile()) return "lock file " + path + " is not a regular file (a directory, device or pipe); refusing to use it";
        try {
            Object links = Files.getAttribute(path, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
            if (links instanceof Integer && (Integer) links > 1) {
                return "lock file " + path + " has " + links + " hard links, so it may be a file outside the lock directory; refusing to use it";
            }
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            // no link count on this platform
        }
        return null;
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

    /** This JVM's place in the queue of processes waiting for this file, created on first use. */
    FileTurns turns() {
        FileTurns t = turns;
        if (t == null) {
            synchronized (this) {
                t = turns;
                if (t == null) turns = t = new FileTurns();
            }
        }
        return t;
    }

    /** Tries to lock the liveness byte of queue place {@code place}; {@code null} if another process holds it. */
    FileLock tryLockPlace(int place, boolean shared) {
        return io(() -> channel.tryLock(PLACE_LIVENESS_AT + place, 1, shared));
    }

    /**
     * The tickets in the queue's places ({@code 0}: empty), as many places as were ever used.
     * One read into {@code scratch} (from {@link #placesScratch()}) when it holds them all.
     */
    long[] readPlaces(ByteBuffer scratch) {
        return io(() -> {
            ByteBuffer buf = readAt(scratch, PLACES_USED_AT);
            int used = (int) Math.min(MAX_PLACES, Math.max(0, buf.getLong(0)));
            if (8 + 8 * used > buf.capacity()) buf = readAt(ByteBuffer.allocate(8 + 8 * used), PLACES_USED_AT);
            long[] tickets = new long[used];
            for (int k = 0; k < used; k++) tickets[k] = buf.getLong(8 + 8 * k);
            return tickets;
        });
    }

    /** A buffer for {@link #readPlaces} that holds the places most files ever use. */
    static ByteBuffer placesScratch() {
        return ByteBuffer.allocate(8 + 8 * 32);
    }

    /** Fills {@code buf} from {@code at}; what lies beyond the end of the file reads as zeros. */
    private ByteBuffer readAt(ByteBuffer buf, long at) throws IOException {
        java.util.Arrays.fill(buf.array(), (byte) 0);
        buf.clear();
        while (buf.hasRemaining() && completed(channel.read(buf, at + buf.position())) > 0) { /* up to the end of the file */ }
        return buf;
    }

    /** Writes {@code ticket} into queue place {@code place}. */
    void writePlace(int place, long ticket) {
        ByteBuffer buf = ByteBuffer.allocate(8).putLong(ticket).flip();
        io(() -> {
            while (buf.hasRemaining()) completed(channel.write(buf, PLACES_AT + 8L * place + buf.position()));
            return null;
        });
    }

    /**
     * Draws the next ticket of the queue (atomically across processes, under the counter's
     * lock), notes {@code place} as used and writes the ticket into it; returns the ticket, or
     * {@code 0} if the counter's lock was not had within {@value #TICKET_TRY_NANOS} ns (a
     * process stopped while holding it) or the thread is interrupted (its status is kept): the
     * queue is best effort, so a caller goes on without the ticket rather than wait.
     */
    long tryNextTicket(int place) {
        try {
            Long ticket = underCounterLock(() -> {
                long t = readLong(TICKETS_AT) + 1;
                writeLong(TICKETS_AT, t);
                if (readLong(PLACES_USED_AT) < place + 1) writeLong(PLACES_USED_AT, place + 1);
                writeLong(PLACES_AT + 8L * place, t);
                return t;
            }, TICKET_TRY_NANOS);
            return ticket == null ? 0 : ticket;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    private long readLong(long at) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(8);
        while (buf.hasRemaining() && completed(channel.read(buf, at + buf.position())) > 0) { /* up to 8 bytes */ }
        return buf.position() == 8 ? buf.flip().getLong() : 0;
    }

    private void writeLong(long at, long value) throws IOException {
        ByteBuffer out = ByteBuffer.allocate(8).putLong(value).flip();
        while (out.hasRemaining()) completed(channel.write(out, at + out.position()));
    }

    /** Tries to lock byte {@code index} of the lock range; {@code null} if another process holds it. */
    FileLock tryLock(long index, boolean shared) {
        return io(() -> channel.tryLock(LOCK_BYTES_AT + index, 1, shared));
    }

    /** The lock-byte index that {@code lock} (from {@link #tryLock}) covers. */
    static long indexOf(FileLock lock) {
        return lock.position() - LOCK_BYTES_AT;
    }

    void unlock(FileLock lock) {
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
            boolean same = fileKey.equals(Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey());
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
     * @param deadline the caller's; waiting for the counter's lock (held by another process for
     *     microseconds, unless that process was stopped holding it) ends by it, or after
     *     {@value #FENCING_GRACE_NANOS} ns if that is later
     * @return the token, or {@code null} if the counter's lock was not had in time
     * @throws InterruptedException if the thread is interrupted while waiting for the counter's lock
     */
    Long nextFencingToken(boolean exclusiveHolder, Deadline deadline) throws InterruptedException {
        if (exclusiveHolder) return io(this::incrementCounter);
        return underCounterLock(this::incrementCounter, Math.max(FENCING_GRACE_NANOS, deadline.remainingNanos()));
    }

    /**
     * Runs {@code op} holding the counters' lock across processes (the fencing counter, which an
     * exclusive holder, the only one who may increment it then, writes without it; the queue's
     * ticket counter and its count of used places), waiting for it at most {@code budgetNanos}.
     *
     * @return what {@code op} returned, or {@code null} if the lock was not had in time
     * @throws InterruptedException if the thread is interrupted while waiting for the lock
     */
    private <T> T underCounterLock(Io<T> op, long budgetNanos) throws InterruptedException {
        long start = System.nanoTime();
        if (!counterLock.tryLock(budgetNanos, TimeUnit.NANOSECONDS)) return null;
        try {
            FileLock counter;
            while ((counter = io(() -> channel.tryLock(COUNTER_LOCK_AT, 1, false))) == null) {
                // another process increments: a few microseconds, unless it was stopped holding the lock
                if (System.nanoTime() - start >= budgetNanos) return null;
                if (Thread.interrupted()) throw new InterruptedException();
                LockSupport.parkNanos(20_000);
            }
            FileLock held = counter;
            try {
                return io(op);
            } finally {
                unlock(held);
            }
        } finally {
            counterLock.unlock();
        }
    }

    private long incrementCounter() throws IOException {
        long next = readLong(0) + 1;
        writeLong(0, next);
        return next;
    }

    /** Claims a record slot, writes who holds the lock into it and returns the slot. */
    RecordSlot registerHolder(String ownerId, LockMode mode, Instant since) {
        recordsLock.lock();
        try {
            for (int slot = localRecordSlots.nextClearBit(0); ; slot = localRecordSlots.nextClearBit(slot + 1)) {
                long at = LIVENESS_AT + slot;
                FileLock liveness = io(() -> channel.tryLock(at, 1, false));
                if (liveness == null) continue;
                localRecordSlots.set(slot);
                String record = HolderRecord.format(ownerId, mode, since);
                writeRecord(slot, record);
                return new RecordSlot(slot, liveness);
            }
        } finally {
            recordsLock.unlock();
        }
    }

    /**
     * Frees a record slot. The record's text stays in the file: readers trust a record only
     * while its liveness lock is held, so clearing it would cost a write for nothing.
     */
    void unregisterHolder(RecordSlot slot) {
        recordsLock.lock();
        try {
            unlock(slot.liveness);
            localRecordSlots.clear(slot.index);
        } finally {
            recordsLock.unlock();
        }
    }

    /** The holders whose records are live: this JVM's from its own table, others' by probing liveness locks. */
    List<LockHolder> holders() {
        List<LockHolder> result = new ArrayList<>();
        recordsLock.lock();
        try {
            long size = io(channel::size);
            for (int slot = 0; RECORDS_AT + (long) slot * RECORD_SIZE < size; slot++) {
                ByteBuffer buf = ByteBuffer.allocate(RECORD_SIZE);
                long at = RECORDS_AT + (long) slot * RECORD_SIZE;
                io(() -> completed(channel.read(buf, at)));
                LockHolder holder = HolderRecord.parse(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8));
                if (holder == null) continue;
                if (localRecordSlots.get(slot) || isLiveElsewhere(slot)) result.add(holder);
            }
        } finally {
            recordsLock.unlock();
        }
        return result;
    }

    private boolean isLiveElsewhere(int slot) {
        FileLock probe = io(() -> channel.tryLock(LIVENESS_AT + slot, 1, true));
        if (probe == null) return true;
        unlock(probe);
        return false;
    }

    /**
     * Writes {@code record} at the start of its slot: only its own bytes (readers stop at its
     * line end, so what a longer earlier record left after it is never read), not the whole slot.
     */
    private void writeRecord(int slot, String record) {
        byte[] bytes = record.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.wrap(bytes, 0, Math.min(bytes.length, RECORD_SIZE - 1));
        long at = RECORDS_AT + (long) slot * RECORD_SIZE;
        io(() -> {
            while (buf.hasRemaining()) completed(channel.write(buf, at + buf.position()));
            return null;
        });
    }

    void track(HeldLock lock) {
        heldLocks.add(lock);
        if (stale) lock.markLost("lock file " + path + " became unusable");
    }

    void untrack(HeldLock lock) {
        heldLocks.remove(lock);
    }

    /** Stops new use of this file, reports every lock held on it as lost and wakes this JVM's waiters on it. */
    void markStale(String reason) {
        stale = true;
        for (HeldLock lock : heldLocks) lock.markLost(reason);
        localRelease.signalAll(); // local waiters move on to the file now at the path
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
        try {
            return op.run();
        } catch (ClosedChannelException e) {
            markStale("the channel of lock file " + path + " was closed; its OS locks are gone");
            throw new LockBackendException("lock file " + path + " is closed", e);
        } catch (OverlappingFileLockException e) {
            throw new IllegalStateException("bug: overlapping lock on " + path + " within one JVM", e);
        } catch (IOException e) {
            throw new LockBackendException("I/O error on lock file " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * The result of a read or write, which {@link #ON_CALLING_THREAD} has already run: the
     * future is complete, so this never waits (and never reacts to the interrupt status).
     */
    private static int completed(Future<Integer> io) throws IOException {
        if (!io.isDone()) throw new IllegalStateException("bug: lock file I/O did not run on the calling thread");
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return io.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof IOException) throw (IOException) e.getCause();
                    throw new IOException(e.getCause());
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** Runs every task at once on the thread that submits it; I/O on the channel thus needs no thread hop. */
    private static final class CallingThreadExecutor extends AbstractExecutorService {
        @Override
        public void execute(Runnable task) {
            task.run();
        }

        @Override
        public void shutdown() {
            // shared by every lock file; never shut down
        }

        @Override
        public List<Runnable> shutdownNow() {
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return false;
        }

        @Override
        public boolean isTerminated() {
            return false;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return false;
        }
    }

    /** A claimed holder-record slot and the lock that marks it live. */
    static final class RecordSlot {
        final int index;
        final FileLock liveness;

        RecordSlot(int index, FileLock liveness) {
            this.index = index;
            this.liveness = Objects.requireNonNull(liveness);
        }
    }
}
