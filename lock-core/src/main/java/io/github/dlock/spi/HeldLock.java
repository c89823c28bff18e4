package io.github.dlock.spi;

import io.github.dlock.LockLostException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
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
    private final CompletableFuture<Void> lost = new CompletableFuture<>();
    private final AtomicBoolean released = new AtomicBoolean();

    protected HeldLock(String name, long fencingToken) {
        this.name = name;
        this.fencingToken = fencingToken;
    }

    public final String name() {
        return name;
    }

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
     * Extends the lease; backends without leases keep this default, which refuses.
     *
     * @throws LockLostException if the lease is already gone
     */
    protected void extendInBackend(Duration duration) {
        throw new UnsupportedOperationException("this backend has no leases: locks are held until released or the process exits");
    }

    /** Whether this lock has a lease; backends with leases override this and {@link #leaseLeftInBackend()}. */
    protected boolean hasLease() {
        return false;
    }

    /** The lease left as the store sees it now, {@link Duration#ZERO} if gone. Called only while held. */
    protected Duration leaseLeftInBackend() {
        throw new UnsupportedOperationException("this backend has no leases");
    }

    final java.util.Optional<Duration> remainingLease() {
        if (!hasLease()) return java.util.Optional.empty();
        if (released.get() || isLost()) return java.util.Optional.of(Duration.ZERO);
        return java.util.Optional.of(leaseLeftInBackend());
    }

    /**
     * Records that the lock is gone while still held, completing the handle's loss signal.
     * Safe to call from any thread, any number of times; ignored after release.
     */
    public final void markLost(String reason) {
        if (released.get()) return;
        if (lost.complete(null)) LOG.warn("Lock {} lost: {}", io.github.dlock.internal.Arguments.describe(name), reason);
    }

    public final boolean isLost() {
        return lost.isDone();
    }

    public final boolean isReleased() {
        return released.get();
    }

    final CompletableFuture<Void> lostFuture() {
        return lost;
    }

    /** Releases once; returns false if already released. Backend failures of a lost lock are swallowed. */
    final boolean release() {
        if (!released.compareAndSet(false, true)) return false;
        try {
            releaseInBackend();
        } catch (RuntimeException e) {
            if (!isLost()) throw e;
            LOG.debug("Ignoring failure to release lost lock {}", io.github.dlock.internal.Arguments.describe(name), e);
        }
        return true;
    }

    final void extend(Duration duration) {
        if (released.get()) throw new IllegalStateException("lock " + io.github.dlock.internal.Arguments.describe(name) + " was already released");
        if (isLost()) throw new LockLostException("lock " + io.github.dlock.internal.Arguments.describe(name) + " was lost");
        extendInBackend(duration);
    }
}
