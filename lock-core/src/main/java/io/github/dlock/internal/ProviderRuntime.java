package io.github.dlock.internal;

import io.github.dlock.DistributedLock;
import io.github.dlock.DistributedReadWriteLock;
import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockHandle;
import io.github.dlock.LockHolder;
import io.github.dlock.LockMode;
import io.github.dlock.spi.Acquirer;
import io.github.dlock.spi.HeldLock;
import io.github.dlock.spi.Ticker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-provider machinery every backend shares: it turns a backend's {@link Acquirer}
 * into the public lock types, owns the thread pool behind
 * {@link DistributedLock#acquireAsync}, tracks held locks so that closing the provider
 * releases them, and refuses work after close.
 */
public final class ProviderRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProviderRuntime.class);
    private static final AtomicLong CREATED = new AtomicLong();

    /** This runtime's number among those created in this JVM (1, 2, …); breaks ties in LockSet's order. */
    private final long sequence = CREATED.incrementAndGet();

    private final String description;
    private final Ticker ticker;
    private final Set<HeldLock> held = ConcurrentHashMap.newKeySet();
    private final Set<Waiter> waiters = ConcurrentHashMap.newKeySet();
    private final Map<CompletableFuture<LockHandle>, String> pending = new ConcurrentHashMap<>();
    private final ExecutorService asyncExecutor;
    private volatile boolean closed;
    /** Attempts between {@link #beginAttempt} and {@link #endAttempt}; guarded by {@link #flights}. */
    private int attemptsInFlight;
    private final java.util.concurrent.locks.ReentrantLock flights = new java.util.concurrent.locks.ReentrantLock();
    private final java.util.concurrent.locks.Condition landed = flights.newCondition();
    /** How long {@link #close()} waits for attempts in flight to end, at most. */
    static final java.time.Duration CLOSE_AWAITS_ATTEMPTS = java.time.Duration.ofSeconds(5);

    /** {@code description} names the provider in messages, e.g. {@code file:///var/lock/app}; no credentials. */
    public ProviderRuntime(String description, Ticker ticker) {
        this.description = Objects.requireNonNull(description, "description");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.asyncExecutor = Threads.perTask("dlock-async");
    }

    public Ticker ticker() {
        return ticker;
    }

    public String description() {
        return description;
    }

    /**
     * A mutual-exclusion lock built on the acquirer that {@code acquirer} makes for the name,
     * which is validated first (so backends receive only valid names).
     */
    public DistributedLock lock(String name, Function<String, Acquirer> acquirer) {
        Arguments.requireName(name, "name");
        ensureOpen();
        return new DefaultLock(name, LockMode.EXCLUSIVE, acquirer.apply(name), this);
    }

    /** A semaphore whose permits use the acquirer made for the (validated) name and count; it cannot count free permits. */
    public DistributedSemaphore semaphore(String name, int permits, BiFunction<String, Integer, Acquirer> acquirer) {
        return semaphore(name, permits, acquirer, null);
    }

    /**
     * A semaphore whose permits use the acquirer made for the (validated) name and count, and
     * whose {@code availablePermits()} counts the {@code PERMIT} holders that {@code holders}
     * (the provider's {@code holders}; null if it cannot tell) reports for the name.
     */
    public DistributedSemaphore semaphore(String name, int permits, BiFunction<String, Integer, Acquirer> acquirer,
            Function<String, List<LockHolder>> holders) {
        Arguments.requireName(name, "name");
        Arguments.requirePositive(permits, "permits");
        ensureOpen();
        return new DefaultSemaphore(name, permits, acquirer.apply(name, permits), this, holders);
    }

    /** A read-write lock whose sides use the acquirers made for the (validated) name. */
    public DistributedReadWriteLock readWriteLock(String name, Function<String, Acquirer> readAcquirer,
            Function<String, Acquirer> writeAcquirer) {
        Arguments.requireName(name, "name");
        ensureOpen();
        return new DefaultReadWriteLock(name, new DefaultLock(name, LockMode.READ, readAcquirer.apply(name), this),
                new DefaultLock(name, LockMode.WRITE, writeAcquirer.apply(name), this));
    }

    /** @throws IllegalStateException if the provider is closed */
    public void ensureOpen() {
        if (closed) throw new IllegalStateException("lock provider " + description + " is closed");
    }

    /** Whether {@link #close()} has begun. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Closes the provider: first wakes every thread waiting in an acquire of this provider (by
     * interrupting it; it then throws {@link IllegalStateException} saying the provider was
     * closed, with its interrupt status as before) and fails every pending
     * {@code acquireAsync} future with that exception, waits (at most 5 s) for the acquire
     * attempts that were running to end (one that got its lock gives it back), then releases
     * every lock still held through it and stops its threads. Idempotent. Backends call this first in their own
     * {@code close()}, before closing connections, so that waiters see the close and not the
     * connections failing under them.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Waiter w : waiters) w.wakeForClose();
        for (Map.Entry<CompletableFuture<LockHandle>, String> p : pending.entrySet()) {
            p.getKey().completeExceptionally(closedWhileWaiting(p.getValue(), null));
        }
        awaitAttemptsInFlight();
        List<HeldLock> remaining = new ArrayList<>(held);
        int released = 0;
        for (HeldLock h : remaining) {
            try {
                if (h.release()) {
                    released++;
                    LOG.debug("Released lock {} on close of {}", Arguments.describe(h.name()), description);
                }
            } catch (RuntimeException e) {
                LOG.warn("Could not release lock {} on close of {}", Arguments.describe(h.name()), description, e);
            }
        }
        if (released > 0) LOG.info("Released {} lock(s) still held on close of {}", released, description);
        held.clear();
        asyncExecutor.shutdownNow();
    }

    /**
     * Waits (at most {@link #CLOSE_AWAITS_ATTEMPTS}) for the attempts that were running when
     * close began: woken, they still finish the call they are in (a store call may not be
     * interruptible), and one that got its lock gives it back through {@link #track} while the
     * backend's connections are still open. A lock granted after that bound ends with its lease
     * or connection.
     */
    private void awaitAttemptsInFlight() {
        long left = CLOSE_AWAITS_ATTEMPTS.toNanos();
        boolean interrupted = false;
        flights.lock();
        try {
            while (attemptsInFlight > 0 && left > 0) {
                try {
                    left = landed.awaitNanos(left);
                } catch (InterruptedException e) {
                    interrupted = true; // finish closing; the caller's interrupt is restored below
                }
            }
            if (attemptsInFlight > 0) LOG.warn("{} acquire attempt(s) of {} still running {} after close began; closing anyway", attemptsInFlight, description, CLOSE_AWAITS_ATTEMPTS);
        } finally {
            flights.unlock();
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    /** An acquire attempt begins (before its thread registers as a waiter); pair with {@link #endAttempt}. */
    void beginAttempt() {
        flights.lock();
        try {
            attemptsInFlight++;
        } finally {
            flights.unlock();
        }
    }

    /** The attempt begun by {@link #beginAttempt} ended: its lock, if any, is tracked or given back. */
    void endAttempt() {
        flights.lock();
        try {
            if (--attemptsInFlight == 0) landed.signalAll();
        } finally {
            flights.unlock();
        }
    }

    /** The one exception of a wait ended by {@link #close()}; {@code cause} is what the backend threw then, if anything. */
    IllegalStateException closedWhileWaiting(String what, Throwable cause) {
        return new IllegalStateException("lock provider " + description + " was closed while waiting for " + what, cause);
    }

    /** The one exception of a release that {@link #close()} overtook; {@code cause} is what the backend threw then. */
    IllegalStateException closedWhileReleasing(String name, Throwable cause) {
        return new IllegalStateException("lock provider " + description + " was closed while releasing lock " + Arguments.describe(name)
                + "; the store ends the hold with its connection or lease", cause);
    }

    /**
     * Registers the calling thread as waiting in an acquire, so that {@link #close()} wakes it.
     *
     * @throws IllegalStateException if the provider is closed
     */
    Waiter startWaiting() {
        Waiter w = new Waiter(Thread.currentThread());
        waiters.add(w);
        if (closed) {
            waiters.remove(w);
            throw new IllegalStateException("lock provider " + description + " is closed");
        }
        return w;
    }

    /** Ends a wait begun by {@link #startWaiting}; clears the interrupt that {@link #close()} may have sent it. */
    void stopWaiting(Waiter w) {
        waiters.remove(w);
        w.finish();
    }

    /** Fails {@code future} with the close exception if the provider closes before it completes. */
    void trackPending(CompletableFuture<LockHandle> future, String what) {
        pending.put(future, what);
        future.whenComplete((h, e) -> pending.remove(future));
        if (closed) future.completeExceptionally(closedWhileWaiting(what, null));
    }

    /** A thread in an acquire; {@link #close()} interrupts it only while it still waits. */
    static final class Waiter {
        private final Thread thread;
        private boolean done; // guarded by this
        private boolean woken; // guarded by this

        Waiter(Thread thread) {
            this.thread = thread;
        }

        synchronized void wakeForClose() {
            if (done) return;
            woken = true;
            thread.interrupt();
        }

        /** Called by the waiting thread itself. */
        synchronized void finish() {
            done = true;
            if (woken) Thread.interrupted(); // the interrupt was ours, not the caller's
        }
    }

    long sequence() {
        return sequence;
    }

    ExecutorService asyncExecutor() {
        return asyncExecutor;
    }

    /**
     * Tracks a lock just acquired, so that {@link #close()} releases it. Returns {@code false}
     * if the provider closed meanwhile: the lock is then given back at once (a failure to do
     * so, e.g. on connections the close shut, is logged; a lease ends it anyway), and the
     * caller reports the close.
     */
    boolean track(HeldLock lock) {
        held.add(lock);
        if (!closed) return true;
        held.remove(lock);
        try {
            lock.release();
        } catch (RuntimeException e) {
            LOG.debug("Could not give back lock {}, acquired while {} closed", Arguments.describe(lock.name()), description, e);
        }
        return false;
    }

    void untrack(HeldLock lock) {
        held.remove(lock);
    }

    /** Thread factory for daemon threads named {@code prefix-N}; backends use it for their own threads. */
    public static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
