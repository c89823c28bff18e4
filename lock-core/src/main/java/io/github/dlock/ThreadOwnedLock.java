package io.github.dlock;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;

/**
 * A {@link Lock} view of a {@link DistributedLock}, from {@link DistributedLock#asLock()}: the
 * {@code java.util.concurrent} contract on top of a lock shared across processes.
 *
 * <p><b>Owned by a thread.</b> A thread that locks the view holds the distributed lock until
 * that same thread unlocks it; {@link #unlock()} by any other thread throws
 * {@link IllegalMonitorStateException} and changes nothing. (A {@link LockHandle} may be
 * released by any thread; this view adds the thread ownership JUC code relies on.)
 *
 * <p><b>Re-entrant per thread.</b> A thread that holds the view locks it again at once (no
 * round trip) and must unlock it as many times; the distributed lock is released by the last
 * unlock. Threads exclude each other through the backing store, so they wait exactly as other
 * processes do, and up to a semaphore's permits may hold a semaphore's view at once.
 *
 * <p><b>Interrupts.</b> {@link #lock()} is not interruptible (as the contract says): an
 * interrupt while it waits is remembered and the thread's interrupt status is set again once
 * it holds the lock. {@link #lockInterruptibly()} and {@link #tryLock(long, TimeUnit)} throw
 * {@link InterruptedException} and hold nothing.
 *
 * <p><b>Loss.</b> A lock can be lost while held (an expired lease, a dead connection): the
 * view cannot tell its caller through the {@code Lock} methods, so check
 * {@link #handle()}{@code .get().isLost()} (or register on {@code lost()}) where it matters,
 * and pass {@code handle().get().fencingToken()} to the resource you protect. {@link #unlock()}
 * of a lost lock releases it quietly. A thread never re-enters a hold that is gone: locking
 * again while its hold is known lost throws {@link LockLostException}, and while its hold was
 * released under it ({@code close()} of the provider, or a release through its handle) throws
 * {@link IllegalStateException}; the hold stays counted until the thread unlocks it.
 *
 * <p>{@link #newCondition()} is not supported: a condition would need a wait queue shared
 * across processes.
 *
 * <p>Thread-safe.
 */
public final class ThreadOwnedLock implements Lock {

    private final DistributedLock lock;
    private final Map<Thread, Hold> holds = new ConcurrentHashMap<>();

    ThreadOwnedLock(DistributedLock lock) {
        this.lock = Objects.requireNonNull(lock, "lock");
    }

    /**
     * The distributed lock this view locks.
     *
     * @return the lock whose {@link DistributedLock#asLock()} made this view
     */
    public DistributedLock distributedLock() {
        return lock;
    }

    /**
     * Waits as long as it takes, uninterruptibly, to hold the lock.
     *
     * @throws LockTimeoutException if the provider's retry strategy has an attempt limit and
     *     it was reached (nothing is held then)
     * @throws LockBackendException if the backing store fails (nothing is held then)
     * @throws IllegalStateException if the provider is closed, or this thread's hold was
     *     released under it
     * @throws LockLostException if this thread holds the view and its hold is known lost
     */
    @Override
    public void lock() {
        if (reenter()) return;
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    hold(lock.acquire());
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits as long as it takes to hold the lock, or until the thread is interrupted.
     *
     * @throws InterruptedException if the thread is interrupted while waiting (or was when it
     *     called); nothing is held then
     * @throws LockTimeoutException if the provider's retry strategy has an attempt limit and
     *     it was reached
     * @throws LockBackendException if the backing store fails
     * @throws IllegalStateException if the provider is closed, or this thread's hold was
     *     released under it
     * @throws LockLostException if this thread holds the view and its hold is known lost
     */
    @Override
    public void lockInterruptibly() throws InterruptedException {
        if (Thread.interrupted()) throw new InterruptedException();
        if (reenter()) return;
        hold(lock.acquire());
    }

    /**
     * Takes the lock if it is free right now (one attempt, no waiting).
     *
     * @throws LockBackendException if the backing store fails
     * @throws IllegalStateException if the provider is closed, or this thread's hold was
     *     released under it
     * @throws LockLostException if this thread holds the view and its hold is known lost
     */
    @Override
    public boolean tryLock() {
        if (reenter()) return true;
        Optional<LockHandle> handle = lock.tryAcquire(); // takes a free lock whatever the interrupt status, as Lock.tryLock() must
        handle.ifPresent(this::hold);
        return handle.isPresent();
    }

    /**
     * Waits at most {@code time} to hold the lock; a non-positive time is one attempt.
     *
     * @throws InterruptedException if the thread is interrupted while waiting; nothing is held
     * @throws NullPointerException if {@code unit} is null
     * @throws LockBackendException if the backing store fails
     * @throws IllegalStateException if the provider is closed, or this thread's hold was
     *     released under it
     * @throws LockLostException if this thread holds the view and its hold is known lost
     */
    @Override
    public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(unit, "unit");
        if (Thread.interrupted()) throw new InterruptedException();
        if (reenter()) return true;
        Duration timeout = Duration.ofNanos(Math.max(0, unit.toNanos(time)));
        Optional<LockHandle> handle = lock.tryAcquire(timeout);
        handle.ifPresent(this::hold);
        return handle.isPresent();
    }

    /**
     * Undoes one lock of the calling thread; the last one releases the distributed lock. The
     * hold ends even if releasing fails (the store's lease then frees the lock).
     *
     * @throws IllegalMonitorStateException if the calling thread does not hold this view
     * @throws LockBackendException if the store failed to release a lock that was not lost
     * @throws IllegalStateException if the provider was closed while the lock was being
     *     released
     */
    @Override
    public void unlock() {
        Thread me = Thread.currentThread();
        Hold hold = holds.get(me);
        if (hold == null) {
            throw new IllegalMonitorStateException("the calling thread (" + me.getName() + ") does not hold lock "
                    + io.github.dlock.internal.Arguments.describe(lock.name()));
        }
        if (--hold.count > 0) return;
        holds.remove(me);
        hold.handle.release();
    }

    /**
     * Not supported: a condition would need a wait queue shared across processes.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public Condition newCondition() {
        throw new UnsupportedOperationException("distributed locks have no conditions");
    }

    /**
     * Whether the calling thread holds this view.
     *
     * @return {@code true} if the calling thread locked this view more often than it unlocked
     *     it (a lost lock still counts as held until unlocked)
     */
    public boolean isHeldByCurrentThread() {
        return holds.containsKey(Thread.currentThread());
    }

    /**
     * How many times the calling thread holds this view (0 if it does not).
     *
     * @return the calling thread's locks of this view not yet undone by unlocks
     */
    public int getHoldCount() {
        Hold hold = holds.get(Thread.currentThread());
        return hold == null ? 0 : hold.count;
    }

    /**
     * The calling thread's handle of the distributed lock, for its fencing token and to learn
     * of a loss; empty if the calling thread does not hold this view.
     *
     * @return the handle of the calling thread's hold, the same for all its re-entrant locks
     */
    public Optional<LockHandle> handle() {
        Hold hold = holds.get(Thread.currentThread());
        return hold == null ? Optional.empty() : Optional.of(hold.handle);
    }

    @Override
    public String toString() {
        return "ThreadOwnedLock[" + io.github.dlock.internal.Arguments.describe(lock.name()) + ", " + lock.mode() + "]";
    }

    private boolean reenter() {
        Hold hold = holds.get(Thread.currentThread());
        if (hold == null) return false;
        String described = io.github.dlock.internal.Arguments.describe(lock.name());
        if (hold.handle.isReleased()) {
            throw new IllegalStateException("this thread's hold of lock " + described + " was released under it (by close() of its provider, "
                    + "or through its handle); unlock() it before locking again");
        }
        if (hold.handle.isLost()) {
            throw new LockLostException("this thread's hold of lock " + described + " was lost; unlock() it before locking again");
        }
        if (hold.count == Integer.MAX_VALUE) throw new Error("maximum lock count exceeded");
        hold.count++;
        return true;
    }

    private void hold(LockHandle handle) {
        holds.put(Thread.currentThread(), new Hold(handle));
    }

    /** One thread's hold: only that thread reads or writes {@code count}. */
    private static final class Hold {
        final LockHandle handle;
        int count = 1;

        Hold(LockHandle handle) {
            this.handle = handle;
        }
    }
}
