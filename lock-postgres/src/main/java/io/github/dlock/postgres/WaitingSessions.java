package io.github.dlock.postgres;

import io.github.dlock.spi.Deadline;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Bounds how many sessions of a provider wait inside the server at once, so that contention
 * queues instead of exhausting the pool. A waiter that finds every slot taken queues here in
 * arrival order, bounded by its own deadline, and gets the next free slot in that order. While
 * queued it is also woken when its lock changes hands in this process (a waiter was granted it,
 * or a holder released it), to try again without a slot: readers queued behind a writer then
 * all enter on the shared session when the writer leaves, instead of a few at a time. A queued
 * waiter also retries after a pause of the caller's choosing (the retry strategy's), so a lock
 * released by another process reaches it even while every slot waits for other locks. An
 * exclusive waiter queued here makes this process's readers of its key yield
 * ({@link #exclusiveQueued}), as PostgreSQL makes them yield to one waiting in the server.
 *
 * <p>In-memory only; nothing here blocks on I/O. Waits end on interruption.
 */
final class WaitingSessions {
    /** What ended {@link #await}. */
    enum Outcome {
        /** The ticket holds a slot: wait in the server, then {@link #done}. */
        SLOT,
        /** The lock changed hands in this process since the ticket last looked: try again. */
        RETRY,
        /** The deadline passed. */
        TIMEOUT
    }

    /** One waiter's place: its key, whether it wants it exclusively, and the key's generation it has seen. */
    static final class Ticket {
        private final String key;
        private final boolean exclusive;
        private long seen;
        private boolean hasSlot;

        private Ticket(String key, boolean exclusive, long seen) {
            this.key = key;
            this.exclusive = exclusive;
            this.seen = seen;
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Ticket> queue = new ArrayDeque<>();
    private final Map<String, long[]> keys = new HashMap<>(); // key -> {generation, tickets, exclusive tickets without a slot}
    /**
     * Tickets joined and not done, readable without the lock: while it is 0 (the uncontended
     * case) {@link #changedHands} and {@link #hasWaiters} return at once. A ticket counts before
     * its first try, so a change of hands that saw 0 happened before that try, which sees it.
     */
    private final java.util.concurrent.atomic.AtomicInteger tickets = new java.util.concurrent.atomic.AtomicInteger();
    private int free;

    WaitingSessions(int slots) {
        if (slots < 1) throw new IllegalArgumentException("slots must be at least 1: " + slots);
        this.free = slots;
    }

    /** Joins the queue for {@code key}; call before the first try, so that no change of hands after it is missed. */
    Ticket join(String key, boolean exclusive) {
        lock.lock();
        try {
            long[] k = keys.computeIfAbsent(key, x -> new long[3]);
            k[1]++;
            if (exclusive) k[2]++;
            Ticket t = new Ticket(key, exclusive, k[0]);
            queue.addLast(t);
            tickets.incrementAndGet();
            return t;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the ticket is first in line and a slot is free ({@link Outcome#SLOT}), its key
     * changed hands in this process or {@code pauseNanos} passed ({@link Outcome#RETRY}), or the
     * deadline passed.
     *
     * @throws InterruptedException if interrupted; the ticket keeps its place until {@link #done}
     */
    Outcome await(Ticket t, Deadline deadline, long pauseNanos) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            long pauseEnd = System.nanoTime() + pauseNanos;
            while (true) {
                if (t.hasSlot) return Outcome.SLOT;
                long generation = keys.get(t.key)[0];
                if (generation != t.seen) { // first: a try on a shared session costs no waiting session
                    t.seen = generation;
                    return Outcome.RETRY;
                }
                if (free > 0 && queue.peekFirst() == t) {
                    free--;
                    queue.pollFirst();
                    t.hasSlot = true;
                    if (t.exclusive) keys.get(t.key)[2]--; // waiting in the server now, where PostgreSQL makes readers yield
                    changed.signalAll(); // the next in line may take another free slot
                    return Outcome.SLOT;
                }
                long left = deadline.remainingNanos();
                if (left == 0) return Outcome.TIMEOUT;
                long pause = pauseEnd - System.nanoTime();
                if (pause <= 0) return Outcome.RETRY;
                changed.awaitNanos(Math.min(left, pause));
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether any waiter of this process has joined for {@code key} (queued, or waiting in the server). */
    boolean hasWaiters(String key) {
        if (tickets.get() == 0) return false;
        lock.lock();
        try {
            return keys.containsKey(key);
        } finally {
            lock.unlock();
        }
    }

    /** Whether an exclusive waiter for {@code key} is queued in this process (not yet waiting in the server). */
    boolean exclusiveQueued(String key) {
        if (tickets.get() == 0) return false;
        lock.lock();
        try {
            long[] k = keys.get(key);
            return k != null && k[2] > 0;
        } finally {
            lock.unlock();
        }
    }

    /** Leaves the queue, giving back the ticket's slot if it had one. Call exactly once per {@link #join}. */
    void done(Ticket t) {
        lock.lock();
        try {
            long[] k = keys.get(t.key);
            if (t.hasSlot) {
                t.hasSlot = false;
                free++;
            } else {
                queue.remove(t);
                if (t.exclusive) k[2]--;
            }
            if (--k[1] == 0) keys.remove(t.key);
            tickets.decrementAndGet();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The lock {@code key} changed hands in this process: its queued waiters try again. */
    void changedHands(String key) {
        if (tickets.get() == 0) return;
        lock.lock();
        try {
            long[] k = keys.get(key);
            if (k == null) return;
            k[0]++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
