package io.github.dlock.internal;

import java.util.ArrayDeque;
import java.util.LinkedList;
import java.util.ListIterator;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Wakes waiters early when a lock may have become free (a local release, a Redis release
 * message, a PostgreSQL NOTIFY). Two kinds of signal:
 *
 * <ul>
 *   <li>{@link #signalAll()} wakes every waiter. Generation-counted, so a signal sent between
 *       an attempt and the wait that follows it is never missed.
 *   <li>{@link #signalOne()} wakes one waiter, for releases that can let in only one (a mutex,
 *       one semaphore permit): waking all of them cost one failed round trip per other waiter
 *       per handoff. The parked waiter that arrived first (see {@link #arrive}) is woken, so a
 *       waiter that lost a race is not sent behind newer ones; with none parked (all between an
 *       attempt and their wait), the signal is kept for the next wait, which then returns at
 *       once, so it is never lost either. A woken waiter that leaves without making its attempt
 *       (interrupted, or its attempt failed with an exception) must {@link #signalOne() pass it
 *       on}: {@link AcquireLoop} does.
 * </ul>
 *
 * Waits park on a {@link ReentrantLock}'s conditions, never on a monitor, so a waiting virtual
 * thread does not pin its carrier.
 */
public final class WakeSignal {
    /** Wake-ups kept for waiters not parked yet; more than this many releases in that window gain nothing. */
    private static final int MAX_KEPT = 64;

    private final ReentrantLock lock = new ReentrantLock();
    private final LinkedList<Parked> parked = new LinkedList<>(); // guarded by lock, earliest arrival first
    private final ArrayDeque<Long> arrivals = new ArrayDeque<>(); // guarded by lock: waiting acquisitions' arrival times, earliest first
    private volatile long generation; // written under lock
    private int kept; // guarded by lock: signalOne()s that found nobody parked

    /** One parked waiter. */
    private static final class Parked {
        final Condition wake;
        final long arrivedAt;
        boolean chosen; // woken by signalOne; guarded by lock
        boolean dequeued; // no longer in parked; guarded by lock

        Parked(Condition wake, long arrivedAt) {
            this.wake = wake;
            this.arrivedAt = arrivedAt;
        }
    }

    /**
     * Registers a waiting acquisition and returns its arrival time, for {@link
     * #awaitChange(long, long, long)} and {@link #hasWaitedLongerThan}; pair with {@link #depart}.
     */
    public long arrive() {
        lock.lock();
        try {
            long now = System.nanoTime(); // read under the lock: arrivals stay in order
            arrivals.addLast(now);
            return now;
        } finally {
            lock.unlock();
        }
    }

    /** Ends the waiting acquisition that {@link #arrive} returned {@code arrivedAt} to. */
    public void depart(long arrivedAt) {
        lock.lock();
        try {
            arrivals.removeFirstOccurrence(arrivedAt);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether the earliest acquisition still {@linkplain #arrive() waiting} here arrived more
     * than {@code nanos} ago: a newcomer should then wait behind it rather than barge in first.
     */
    public boolean hasWaitedLongerThan(long nanos) {
        lock.lock();
        try {
            Long earliest = arrivals.peekFirst();
            return earliest != null && System.nanoTime() - earliest > nanos;
        } finally {
            lock.unlock();
        }
    }

    /** Read before an attempt and pass to {@link #awaitChange}. */
    public long generation() {
        return generation;
    }

    /** Wakes every waiter. */
    public void signalAll() {
        lock.lock();
        try {
            generation++;
            kept = 0; // every waiter tries again anyway
            for (Parked p; (p = parked.pollFirst()) != null; ) {
                p.dequeued = true;
                p.wake.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Wakes the longest-parked waiter, or the next one to wait if none is parked. */
    public void signalOne() {
        lock.lock();
        try {
            wakeOne();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits up to {@code nanos} unless a {@link #signalAll} arrived since {@code seenGeneration}
     * was read, or a {@link #signalOne} is kept for the next waiter.
     *
     * @return true if this wait took a {@link #signalOne}: the caller then owes an attempt, and
     *     must call {@link #signalOne} if it leaves without making one
     * @throws InterruptedException if the thread is interrupted (a {@link #signalOne} that chose
     *     this waiter meanwhile is passed on)
     */
    public boolean awaitChange(long seenGeneration, long nanos) throws InterruptedException {
        return awaitChange(seenGeneration, nanos, System.nanoTime());
    }

    /**
     * As {@link #awaitChange(long, long)} for an acquisition that {@linkplain #arrive() arrived}
     * at {@code arrivedAt}: a {@link #signalOne} wakes the parked waiter that arrived first.
     */
    public boolean awaitChange(long seenGeneration, long nanos, long arrivedAt) throws InterruptedException {
        if (generation != seenGeneration) return false;
        lock.lockInterruptibly();
        try {
            if (generation != seenGeneration) return false;
            if (kept > 0) {
                kept--;
                return true;
            }
            if (nanos <= 0) return false;
            Parked me = new Parked(lock.newCondition(), arrivedAt);
            ListIterator<Parked> behind = parked.listIterator(parked.size());
            while (behind.hasPrevious()) { // usually the latest arrival: appended at once
                if (behind.previous().arrivedAt - arrivedAt <= 0) {
                    behind.next();
                    break;
                }
            }
            behind.add(me);
            try {
                long left = nanos;
                while (!me.dequeued && left > 0) left = me.wake.awaitNanos(left);
            } catch (InterruptedException e) {
                if (me.chosen) wakeOne(); // pass it on
                throw e;
            } finally {
                if (!me.dequeued) parked.remove(me); // timed out (or interrupted) unchosen
            }
            return me.chosen;
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: wakes the longest-parked waiter, or keeps the signal for the next wait. */
    private void wakeOne() {
        Parked next = parked.pollFirst();
        if (next == null) {
            if (kept < MAX_KEPT) kept++;
            return;
        }
        next.dequeued = true;
        next.chosen = true;
        next.wake.signal();
    }
}
