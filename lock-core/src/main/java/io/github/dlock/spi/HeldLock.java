package io.github.dlock.spi;

import io.github.dlock.LockLostException;
import io.github.dlock.internal.Threads;
import java.time.Duration;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a backend keeps for one successful acquisition: the state needed to release (and,
 * with leases, renew) it, and the loss signal. Core wraps it in the public
 * {@link io.github.dlock.LockHandle}.
 *
 * <p>A held lock must never reference its handle: the handle is cleaned up through a
 * {@link java.lang.ref.Cleaner} when it becomes unreachable, which only works if backend
 * structures (renewal schedules, loss listeners) point at this object and not at the handle.
 */
public abstract class HeldLock {
    private static final Logger LOG = LoggerFactory.getLogger(HeldLock.class);

    private final String name;
    private final long fencingToken;
    /** Completes loss signals, so that their callbacks never run on a renewer or watchdog thread. */
    private static final Executor LOSS_NOTIFIER = Threads.perTask("dlock-lost");
    private static final VarHandle LOST_VIEW;

    static {
        try {
            LOST_VIEW = MethodHandles.lookup().findVarHandle(HeldLock.class, "lostView", CompletionStage.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The reason, once lost; null while not (one field for both: no object grows for the reason). */
    private final AtomicReference<String> lost = new AtomicReference<>();
    private final CompletableFuture<Void> lostSignal = new CompletableFuture<>();
    private volatile CompletionStage<Void> lostView; // made on first lost(): most handles never ask
    private final AtomicBoolean released = new AtomicBoolean();

    /**
     * A held lock, neither lost nor released.
     *
     * @param name the lock's name, as given to the provider
     * @param fencingToken the token the store issued for this acquisition
     */
    protected HeldLock(String name, long fencingToken) {
        this.name = name;
        this.fencingToken = fencingToken;
    }

    /**
     * The lock's name.
     *
     * @return the name given to the constructor
     */
    public final String name() {
        return name;
    }

    /**
     * The fencing token of this acquisition.
     *
     * @return the token given to the constructor
     */
    public final long fencingToken() {
        return fencingToken;
    }

    /**
     * Gives the lock back to the backing store. Called at most once, by core.
     *
     * @throws io.github.dlock.LockBackendException if the store failed
     */
    protected abstract void releaseInBackend();

    /**
     * Extends the lease; backends without leases keep this default, which refuses. Core calls
     * it only after checking that the lock is neither released nor known lost, with a positive
     * duration.
     *
     * @param duration the least lease left after the call
     * @throws LockLostException if the lease is already gone
     * @throws UnsupportedOperationException always, in this default
     */
    protected void extendInBackend(Duration duration) {
        throw new UnsupportedOperationException("this backend has no leases: locks are held until released or the process exits");
    }

    /**
     * Whether this lock has a lease; backends with leases override this and {@link #leaseLeftInBackend()}.
     *
     * @return {@code false} in this default
     */
    protected boolean hasLease() {
        return false;
    }

    /**
     * The lease left as the store sees it now, {@link Duration#ZERO} if gone. Called only while held.
     *
     * @return the lease left
     * @throws io.github.dlock.LockBackendException if the store cannot be asked
     * @throws UnsupportedOperationException always, in this default
     */
    protected Duration leaseLeftInBackend() {
        throw new UnsupportedOperationException("this backend has no leases");
    }

    /**
     * The lease left (what the handle's {@code remainingLease()} returns).
     *
     * @return empty if the backend has no leases; {@link Duration#ZERO} once released or lost
     * @throws io.github.dlock.LockBackendException if the store cannot be asked
     */
    public final java.util.Optional<Duration> remainingLease() {
        if (!hasLease()) return java.util.Optional.empty();
        if (released.get() || isLost()) return java.util.Optional.of(Duration.ZERO);
        return java.util.Optional.of(leaseLeftInBackend());
    }

    /**
     * Records that the lock is gone while still held: {@link #isLost()} is true when this
     * returns, and the handle's {@code lost()} stage is completed on a thread of its own (a
     * virtual thread on JDK 21+, else a daemon thread named {@code dlock-lost-N}), never on the
     * caller's, so a renewer or watchdog calling this is never held up by callbacks. Safe to
     * call from any thread, any number of times; ignored after release. Never blocks.
     *
     * @param reason how the lock was lost, for the warning logged on the first call
     */
    public final void markLost(String reason) {
        if (!released.get()) signalLost(reason);
    }

    /**
     * For {@link #releaseInBackend()}: the lock turned out to be gone already (its session or
     * lease ended before the release reached the store). Completes the loss signal even though
     * the lock is being released, so the handle reports {@code lost()}; the release itself then
     * succeeds.
     *
     * @param reason how the lock was lost, for the warning logged if it is the first report
     */
    protected final void lostWhileReleasing(String reason) {
        signalLost(reason);
    }

    private void signalLost(String reason) {
        if (lost.compareAndSet(null, reason != null ? reason : "lost")) {
            LOG.warn("Lock {} lost: {}", io.github.dlock.internal.Arguments.describe(name), reason);
            try {
                wakeLocalWaiters();
            } catch (RuntimeException e) {
                LOG.warn("Could not wake the waiters of lost lock {}", io.github.dlock.internal.Arguments.describe(name), e);
            }
            LOSS_NOTIFIER.execute(() -> lostSignal.complete(null));
        }
    }

    /**
     * Wakes the threads of this process that wait for this lock: it may be free now that its
     * holder lost it, and nothing else would tell them (no release is announced for a lock that
     * was taken away, expired or died with its session). Called once per held lock, when the
     * loss is first reported ({@link #isLost()} is true already, {@code lost()} not yet
     * completed), on the reporting thread. Backends whose waiters wait in this process for a
     * release signal override it to send that signal; the default does nothing (for waits the
     * store itself ends). Must not block; an exception is logged and ignored.
     */
    protected void wakeLocalWaiters() {}

    /**
     * Whether the loss was reported ({@link #markLost} or {@link #lostWhileReleasing}).
     *
     * @return {@code true} once the lock is known to be lost
     */
    public final boolean isLost() {
        return lost.get() != null;
    }

    /**
     * Why the lock was lost, as first reported; known as soon as {@link #isLost()} is true, so
     * before {@link #lostStage()} completes.
     *
     * @return the reason, or empty if the lock is not lost
     */
    public final java.util.Optional<String> lostReason() {
        return java.util.Optional.ofNullable(lost.get());
    }

    /**
     * Whether core began releasing this lock.
     *
     * @return {@code true} once a release began, whether or not it succeeded
     */
    public final boolean isReleased() {
        return released.get();
    }

    /**
     * The read-only loss stage, the same object on every call (what the handle's
     * {@code lost()} returns).
     *
     * @return the stage, completed (normally) on a thread of dlock's own when the lock is lost
     */
    public final CompletionStage<Void> lostStage() {
        CompletionStage<Void> view = lostView;
        if (view != null) return view;
        LOST_VIEW.compareAndSet(this, null, lostSignal.minimalCompletionStage());
        return lostView;
    }

    /**
     * Releases once (what the handle's {@code release()} does): runs
     * {@link #releaseInBackend()} on the calling thread unless this lock was released before.
     * Backend failures of a lost lock are swallowed.
     *
     * @return false if it was already released
     * @throws io.github.dlock.LockBackendException if the backend failed to release a lock that was not lost
     */
    public final boolean release() {
        if (!released.compareAndSet(false, true)) return false;
        try {
            releaseInBackend();
        } catch (RuntimeException e) {
            if (!isLost()) throw e;
            LOG.debug("Ignoring failure to release lost lock {}", io.github.dlock.internal.Arguments.describe(name), e);
        }
        return true;
    }

    /**
     * Extends the lease (what the handle's {@code extend} does) through
     * {@link #extendInBackend(Duration)}, on the calling thread.
     *
     * @param duration the new lease, from now
     * @throws IllegalStateException if the lock was released (before or during the call)
     * @throws LockLostException if the lock was lost
     * @throws UnsupportedOperationException if the backend has no leases
     */
    public final void extend(Duration duration) {
        if (released.get()) throw new IllegalStateException("lock " + io.github.dlock.internal.Arguments.describe(name) + " was already released");
        String lostHow = lost.get();
        if (lostHow != null) throw new LockLostException("lock " + io.github.dlock.internal.Arguments.describe(name) + " was lost: " + lostHow);
        try {
            extendInBackend(duration);
        } catch (LockLostException e) {
            if (!released.get()) throw e;
            // released while extending (by close() of the provider, or another thread): not a loss
            throw new IllegalStateException("lock " + io.github.dlock.internal.Arguments.describe(name) + " was released while being extended", e);
        }
    }
}
