package io.github.dlock.internal;

import io.github.dlock.DistributedLock;
import io.github.dlock.DistributedReadWriteLock;
import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockHandle;
import io.github.dlock.LockHolder;
import io.github.dlock.LockListener;
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
import java.util.concurrent.atomic.AtomicBoolean;
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
 * releases them, refuses work after close, and reports events to the installed
 * {@link LockListener}s.
 *
 * <p><b>Listeners cost nothing when none is installed:</b> {@link #listeners} is null then,
 * and the acquire and release paths check only that field (one volatile read) before doing
 * anything for them: no clock read, no allocation. A lock acquired while listeners are
 * installed is tracked with a {@link Timing} (its name, mode and the clock at its grant), which its
 * release hands back to report the hold time.
 */
public final class ProviderRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProviderRuntime.class);
    private static final AtomicLong CREATED = new AtomicLong();

    /** This runtime's number among those created in this JVM (1, 2, …); breaks ties in LockSet's order. */
    private final long sequence = CREATED.incrementAndGet();

    private final String backend;
    private final String description;
    private final Ticker ticker;
    /** Held locks, each to {@link #UNTIMED} or, if acquired while listeners were installed, its {@link Timing}. */
    private final Map<HeldLock, Object> held = new ConcurrentHashMap<>();
    private static final Object UNTIMED = Boolean.TRUE;
    /** The installed listeners, copied on write; null (not empty) when there are none, for the hot paths. */
    private volatile Installed[] listeners;
    private final java.util.concurrent.locks.ReentrantLock listenersChange = new java.util.concurrent.locks.ReentrantLock();
    private final Set<Waiter> waiters = ConcurrentHashMap.newKeySet();
    private final Map<CompletableFuture<LockHandle>, String> pending = new ConcurrentHashMap<>();
    private final ExecutorService asyncExecutor;
    /** Runs the listeners' renewal-round events, off the renewer's thread; made on first use. */
    private volatile java.util.concurrent.ThreadPoolExecutor listenerEvents;
    private volatile boolean closed;
    /** Set by the first {@link #close()}; later calls wait for {@link #closeFinished}. */
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.CountDownLatch closeFinished = new java.util.concurrent.CountDownLatch(1);
    private volatile Thread closingThread;
    /** When {@link #close()} stops waiting for calls in flight ({@link System#nanoTime()}); written before {@link #closed}. */
    private long closeDeadline;
    /**
     * Acquire attempts and releases between {@link #beginCall} and {@link #endCall}: an atomic
     * count, so that concurrent calls share no lock; the one that brings it to 0 after close
     * began signals {@link #landed} (under {@link #flights}, which close holds while it checks
     * the count).
     */
    private final java.util.concurrent.atomic.AtomicInteger callsInFlight = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.locks.ReentrantLock flights = new java.util.concurrent.locks.ReentrantLock();
    private final java.util.concurrent.locks.Condition landed = flights.newCondition();
    /** How long {@link #close()} waits for attempts in flight to end, at most. */
    static final java.time.Duration CLOSE_AWAITS_CALLS = java.time.Duration.ofSeconds(5);

    /**
     * {@code description} names the provider in messages, e.g. {@code file:///var/lock/app}; no
     * credentials. The backend's name for listeners is the description's scheme.
     */
    public ProviderRuntime(String description, Ticker ticker) {
        this(schemeOf(description), description, ticker);
    }

    /**
     * {@code backend} is the backend's name in listener events ({@code file}, {@code redis},
     * {@code postgresql}); {@code description} names the provider in messages, e.g.
     * {@code file:///var/lock/app}; no credentials.
     */
    public ProviderRuntime(String backend, String description, Ticker ticker) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.description = Objects.requireNonNull(description, "description");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.asyncExecutor = Threads.perTask("dlock-async");
    }

    private static String schemeOf(String description) {
        Objects.requireNonNull(description, "description");
        int colon = description.indexOf(':');
        return colon > 0 ? description.substring(0, colon).toLowerCase(java.util.Locale.ROOT) : "unknown";
    }

    /** The backend's name in listener events. */
    public String backend() {
        return backend;
    }

    /** What {@link io.github.dlock.LockProvider#heldLockCount()} returns. */
    public int heldCount() {
        return held.size();
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
     * {@code acquireAsync} future with that exception, waits for the acquire attempts that were
     * running to end (one that got its lock gives it back), then releases every lock still held
     * through it, completing each such handle's {@code lost()} first (its holder did not release
     * it and is no longer protected), waits for releases that holders began themselves to reach
     * the store (these waits take at most 5 s in all), and stops its threads. Idempotent: a
     * call while another thread closes returns once that close has finished (so that the
     * backend, which closes its connections next, never closes them under the first).
     * Backends call this first in their own
     * {@code close()}, before closing connections, so that waiters see the close and not the
     * connections failing under them.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            // a concurrent close: its backend must not close connections the first still uses
            // (called again from within the first close, on its own thread: nothing to wait for)
            if (closingThread != Thread.currentThread()) awaitClosed();
            return;
        }
        closingThread = Thread.currentThread();
        try {
            closeOnce();
        } finally {
            closingThread = null;
            closeFinished.countDown();
        }
    }

    /** For a second {@code close()}: waits (a bounded time, not cut short by interrupts) until the first has finished. */
    private void awaitClosed() {
        boolean interrupted = false;
        long end = System.nanoTime() + CLOSE_AWAITS_CALLS.toNanos() * 3;
        try {
            while (closeFinished.getCount() > 0) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    LOG.warn("A concurrent close() of {} did not finish within {}; returning", description, CLOSE_AWAITS_CALLS.multipliedBy(3));
                    return;
                }
                try {
                    closeFinished.await(left, java.util.concurrent.TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private void closeOnce() {
        closeDeadline = System.nanoTime() + CLOSE_AWAITS_CALLS.toNanos();
        closed = true;
        for (Waiter w : waiters) w.wakeForClose();
        for (Map.Entry<CompletableFuture<LockHandle>, String> p : pending.entrySet()) {
            p.getKey().completeExceptionally(closedWhileWaiting(p.getValue(), null));
        }
        awaitCallsInFlight();
        List<Map.Entry<HeldLock, Object>> remaining = new ArrayList<>(held.entrySet());
        int released = 0;
        for (Map.Entry<HeldLock, Object> entry : remaining) {
            HeldLock h = entry.getKey();
            // its holder did not release it and may still be in its critical section, which no
            // renewal protects from now on: tell it (before the release, which may fail and leave
            // the lock to expire on the store)
            h.markLost("its provider " + description + " was closed while it was held");
            try {
                if (h.release()) {
                    released++;
                    LOG.debug("Released lock {} on close of {}", Arguments.describe(h.name()), description);
                    if (entry.getValue() instanceof Timing timing) released(h, timing);
                }
            } catch (RuntimeException e) {
                LOG.warn("Could not release lock {} on close of {}", Arguments.describe(h.name()), description, e);
            }
        }
        if (released > 0) LOG.info("Released {} lock(s) still held on close of {}", released, description);
        held.clear();
        // a holder's own release that began while the loop above ran (the loop then skipped its
        // lock): it too must reach the store before the backend closes its connections
        awaitCallsInFlight();
        asyncExecutor.shutdownNow();
        listenersChange.lock();
        try {
            if (listenerEvents != null) listenerEvents.shutdown(); // queued rounds are still reported
        } finally {
            listenersChange.unlock();
        }
    }

    /**
     * Waits (at most {@link #CLOSE_AWAITS_CALLS} in all) for the acquire attempts and releases
     * that were running when close began: woken, attempts still finish the call they are in (a
     * store call may not be interruptible), and one that got its lock gives it back through
     * {@link #track} while the backend's connections are still open; a holder's release in
     * flight reaches the store before they close. A lock granted after that bound ends with its
     * lease or connection.
     */
    private void awaitCallsInFlight() {
        if (callsInFlight.get() == 0) return;
        long left = closeDeadline - System.nanoTime();
        boolean interrupted = false;
        flights.lock();
        try {
            while (callsInFlight.get() > 0 && left > 0) {
                try {
                    left = landed.awaitNanos(left);
                } catch (InterruptedException e) {
                    interrupted = true; // finish closing; the caller's interrupt is restored below
                }
            }
            if (callsInFlight.get() > 0) {
                LOG.warn("{} acquire attempt(s) or release(s) of {} still running {} after close began; closing anyway", callsInFlight.get(),
                        description, CLOSE_AWAITS_CALLS);
            }
        } finally {
            flights.unlock();
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    /** Acquire attempts and releases running now (for tests). */
    int callsInFlight() {
        return callsInFlight.get();
    }

    /**
     * An acquire attempt (before its thread registers as a waiter) or a release (before it
     * stops tracking its lock) begins; pair with {@link #endCall}. {@link #close()} waits for it
     * before the backend closes its connections.
     */
    void beginCall() {
        callsInFlight.incrementAndGet();
    }

    /** The call begun by {@link #beginCall} ended: an attempt's lock, if any, is tracked or given back; a release reached the store or failed. */
    void endCall() {
        if (callsInFlight.decrementAndGet() == 0 && closed) {
            flights.lock();
            try {
                landed.signalAll();
            } finally {
                flights.unlock();
            }
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
        held.put(lock, UNTIMED); // as the private track below, written out: no extra call level on the hot path
        if (!closed) return true;
        return giveBack(lock);
    }

    /**
     * As {@link #track(HeldLock)}, for a lock acquired while listeners were installed:
     * {@code timing} comes back from {@link #untrack} to report its release, and its loss is
     * reported to the listeners.
     */
    boolean track(HeldLock lock, Timing timing) {
        if (!track(lock, (Object) timing)) return false;
        lock.lostStage().thenRun(() -> lost(lock, timing)); // runs where lost() completes; captures no handle
        return true;
    }

    private boolean track(HeldLock lock, Object value) {
        held.put(lock, value);
        if (!closed) return true;
        return giveBack(lock);
    }

    /** For {@link #track}: the provider closed while {@code lock} was being tracked. */
    private boolean giveBack(HeldLock lock) {
        held.remove(lock);
        try {
            lock.release();
        } catch (RuntimeException e) {
            LOG.debug("Could not give back lock {}, acquired while {} closed", Arguments.describe(lock.name()), description, e);
        }
        return false;
    }

    /** Stops tracking {@code lock}; returns its {@link Timing} if it has one, else null or another marker. */
    Object untrack(HeldLock lock) {
        return held.remove(lock);
    }

    // ---- Listeners ----

    /** A held lock's name and mode as acquired, and the clock reading at its grant; made only while listeners are installed. */
    static final class Timing {
        final String name;
        final LockMode mode;
        final long grantedAt;

        Timing(String name, LockMode mode, long grantedAt) {
            this.name = name;
            this.mode = mode;
            this.grantedAt = grantedAt;
        }
    }

    /**
     * What {@link io.github.dlock.LockProvider#listen} does.
     *
     * @throws NullPointerException if {@code listener} is null
     * @throws IllegalStateException if the provider is closed
     */
    public LockListener.Registration listen(LockListener listener) {
        Objects.requireNonNull(listener, "listener");
        ensureOpen();
        Installed installed = new Installed(listener);
        listenersChange.lock();
        try {
            Installed[] now = listeners;
            int n = now == null ? 0 : now.length;
            Installed[] next = now == null ? new Installed[1] : java.util.Arrays.copyOf(now, n + 1);
            next[n] = installed;
            listeners = next;
        } finally {
            listenersChange.unlock();
        }
        return installed;
    }

    private void remove(Installed installed) {
        listenersChange.lock();
        try {
            Installed[] now = listeners;
            if (now == null) return;
            List<Installed> rest = new ArrayList<>(java.util.Arrays.asList(now));
            if (!rest.remove(installed)) return;
            listeners = rest.isEmpty() ? null : rest.toArray(new Installed[0]);
        } finally {
            listenersChange.unlock();
        }
    }

    /** Whether any listener is installed: the hot paths' only check. */
    boolean hasListeners() {
        return listeners != null;
    }

    void acquireFinished(String name, LockMode mode, LockListener.Outcome outcome, long startedAt) {
        Installed[] now = listeners;
        if (now == null) return;
        long waited = ticker.read() - startedAt;
        for (Installed l : now) {
            try {
                l.listener.acquireFinished(name, mode, backend, outcome, waited);
            } catch (Throwable t) {
                l.failed("acquireFinished", t);
            }
        }
    }

    void released(HeldLock lock, Timing timing) {
        Installed[] now = listeners;
        if (now == null) return;
        long heldFor = ticker.read() - timing.grantedAt;
        for (Installed l : now) {
            try {
                l.listener.released(timing.name, timing.mode, backend, heldFor);
            } catch (Throwable t) {
                l.failed("released", t);
            }
        }
    }

    private void lost(HeldLock lock, Timing timing) {
        Installed[] now = listeners;
        if (now == null) return;
        String reason = lock.lostReason().orElse("lost");
        for (Installed l : now) {
            try {
                l.listener.lost(timing.name, timing.mode, backend, reason);
            } catch (Throwable t) {
                l.failed("lost", t);
            }
        }
    }

    /**
     * Reports a lease renewal round of {@code locks} leases that made {@code roundTrips} round
     * trips, of which {@code failures} leases could not be renewed; for a backend's renewer.
     * The listeners run on a thread of their own ({@code dlock-listener-events}), never on the
     * renewer's, so a listener that blocks cannot delay renewals; while one blocks, up to
     * {@link #QUEUED_ROUNDS} rounds queue and later ones are dropped. Never blocks.
     */
    public void renewalRound(int locks, int roundTrips, int failures) {
        Installed[] now = listeners;
        if (now == null) return;
        try {
            listenerEvents().execute(() -> {
                for (Installed l : now) {
                    try {
                        l.listener.renewalRound(backend, locks, roundTrips, failures);
                    } catch (VirtualMachineError e) {
                        LOG.error("Lock listener {} on {} threw from renewalRound", l.listener, description, e);
                    } catch (Throwable t) {
                        l.failed("renewalRound", t);
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closedOrFull) {
            LOG.debug("Renewal round not reported to the listeners of {} (closed, or a listener blocks)", description);
        }
    }

    /** How many renewal rounds wait for a blocked listener before later ones are dropped. */
    static final int QUEUED_ROUNDS = 1024;

    private java.util.concurrent.ThreadPoolExecutor listenerEvents() {
        java.util.concurrent.ThreadPoolExecutor e = listenerEvents;
        if (e != null) return e;
        listenersChange.lock();
        try {
            if (listenerEvents == null) {
                listenerEvents = new java.util.concurrent.ThreadPoolExecutor(1, 1, 0, java.util.concurrent.TimeUnit.MILLISECONDS,
                        new java.util.concurrent.ArrayBlockingQueue<>(QUEUED_ROUNDS), r -> {
                            Thread t = new Thread(r, "dlock-listener-events");
                            t.setDaemon(true);
                            return t;
                        }, new java.util.concurrent.ThreadPoolExecutor.AbortPolicy());
                if (closed) listenerEvents.shutdown();
            }
            return listenerEvents;
        } finally {
            listenersChange.unlock();
        }
    }

    /** One installation of a listener; closing it removes it. */
    private final class Installed implements LockListener.Registration {
        final LockListener listener;
        private final AtomicBoolean warned = new AtomicBoolean();

        Installed(LockListener listener) {
            this.listener = listener;
        }

        void failed(String event, Throwable t) {
            if (t instanceof VirtualMachineError e) throw e; // out of memory, stack overflow: not the listener's to swallow
            if (warned.compareAndSet(false, true)) {
                LOG.warn("Lock listener {} on {} threw from {}; ignored (this listener's later failures are logged at DEBUG)",
                        listener, description, event, t);
            } else {
                LOG.debug("Lock listener {} on {} threw from {}; ignored", listener, description, event, t);
            }
        }

        @Override
        public void close() {
            remove(this);
        }

        @Override
        public String toString() {
            return "LockListener.Registration{" + listener + " on " + description + "}";
        }
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
