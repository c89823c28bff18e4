package io.github.dlock.internal;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockListener;
import io.github.dlock.LockMode;
import io.github.dlock.LockTimeoutException;
import io.github.dlock.internal.Arguments;
import io.github.dlock.internal.LockIdentity;
import io.github.dlock.spi.Acquirer;
import io.github.dlock.spi.Deadline;
import io.github.dlock.spi.HeldLock;
import java.time.Duration;
import java.util.Optional;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/** Every public acquire variant, built once on a backend's {@link Acquirer}. */
class DefaultLock implements DistributedLock, LockIdentity {
    private final String name;
    private final LockMode mode;
    private final Acquirer acquirer;
    private final ProviderRuntime runtime;

    DefaultLock(String name, LockMode mode, Acquirer acquirer, ProviderRuntime runtime) {
        this.name = name;
        this.mode = mode;
        this.acquirer = acquirer;
        this.runtime = runtime;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public LockMode mode() {
        return mode;
    }

    @Override
    public LockHandle acquire() throws InterruptedException {
        return acquireOrThrow(Deadline.none(runtime.ticker()));
    }

    @Override
    public LockHandle acquire(Duration timeout) throws InterruptedException {
        return acquireOrThrow(Deadline.after(timeout, runtime.ticker()));
    }

    @Override
    public Optional<LockHandle> tryAcquire() {
        boolean interrupted = Thread.interrupted(); // one attempt takes a free lock whatever the interrupt status (as Lock.tryLock())
        try {
            Deadline deadline = Deadline.after(Duration.ZERO, runtime.ticker());
            return Optional.ofNullable(runtime.hasListeners() ? observedAttempt(deadline) : attempt(deadline, false));
        } catch (InterruptedException e) {
            interrupted = true; // interrupted during the attempt: nothing is held
            return Optional.empty();
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    @Override
    public Optional<LockHandle> tryAcquire(Duration timeout) throws InterruptedException {
        Deadline deadline = Deadline.after(timeout, runtime.ticker());
        return Optional.ofNullable(runtime.hasListeners() ? observedAttempt(deadline) : attempt(deadline, false));
    }

    @Override
    public CompletableFuture<LockHandle> acquireAsync(Duration timeout) {
        return acquireAsync(timeout, runtime.asyncExecutor());
    }

    @Override
    public CompletableFuture<LockHandle> acquireAsync(Duration timeout, Executor executor) {
        Arguments.requireNonNegative(timeout, "timeout");
        Objects.requireNonNull(executor, "executor");
        runtime.ensureOpen();
        AsyncAcquire task = new AsyncAcquire(this, timeout);
        runtime.trackPending(task.result, describe());
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            if (runtime.isClosed()) task.result.completeExceptionally(runtime.closedWhileWaiting(describe(), e));
            else task.result.completeExceptionally(e);
        }
        return task.result;
    }

    private LockHandle acquireOrThrow(Deadline deadline) throws InterruptedException {
        LockHandle handle = runtime.hasListeners() ? observedAttempt(deadline) : attempt(deadline, false);
        if (handle != null) return handle;
        if (deadline.hasExpired()) {
            throw new LockTimeoutException("timed out after " + deadline.timeout() + " waiting for " + describe());
        }
        throw new LockTimeoutException("gave up waiting for " + describe() + ": the retry strategy's attempt limit was reached");
    }

    /**
     * One call into the backend, reported to the provider's listeners; callers make it only
     * while listeners are installed, else they call {@code attempt(deadline, false)} directly:
     * no clock read, no allocation, and no extra call level in front of the backend (so the
     * JIT's inlining of the unobserved path stays as it was).
     */
    private LockHandle observedAttempt(Deadline deadline) throws InterruptedException {
        long startedAt = runtime.ticker().read();
        LockHandle handle;
        try {
            handle = attempt(deadline, true);
        } catch (InterruptedException e) {
            runtime.acquireFinished(name, mode, LockListener.Outcome.INTERRUPTED, startedAt);
            throw e;
        } catch (RuntimeException | Error e) {
            runtime.acquireFinished(name, mode, LockListener.Outcome.ERROR, startedAt);
            throw e;
        }
        LockListener.Outcome outcome = handle != null ? LockListener.Outcome.ACQUIRED
                : deadline.isImmediate() ? LockListener.Outcome.EMPTY : LockListener.Outcome.TIMEOUT;
        try {
            runtime.acquireFinished(name, mode, outcome, startedAt);
        } catch (Throwable fatal) { // a VirtualMachineError of a listener: give the grant back before it propagates
            if (handle != null) Holds.releaseAfterFailure(handle, fatal);
            throw fatal;
        }
        return handle;
    }

    /**
     * One call into the backend. The thread is registered as a waiter, so that closing the
     * provider interrupts it; whatever the backend then throws or returns becomes one
     * {@link IllegalStateException} saying the provider was closed. The lock of an
     * {@code observed} attempt is tracked with a {@link ProviderRuntime.Timing}.
     */
    private LockHandle attempt(Deadline deadline, boolean observed) throws InterruptedException {
        runtime.beginCall(); // close() waits for this attempt to end, so a late grant is given back on open connections
        try {
            ProviderRuntime.Waiter waiter = runtime.startWaiting();
            HeldLock held;
            try {
                held = acquirer.tryAcquire(deadline);
            } catch (InterruptedException | RuntimeException e) {
                if (runtime.isClosed()) throw runtime.closedWhileWaiting(describe(), e);
                throw e;
            } finally {
                runtime.stopWaiting(waiter);
            }
            if (held == null) {
                if (runtime.isClosed()) throw runtime.closedWhileWaiting(describe(), null);
                return null;
            }
            boolean tracked = !observed ? runtime.track(held)
                    : runtime.track(held, new ProviderRuntime.Timing(name, mode, runtime.ticker().read()));
            if (!tracked) throw runtime.closedWhileWaiting(describe(), null);
            return new DefaultLockHandle(held, runtime);
        } finally {
            runtime.endCall();
        }
    }

    /** Provider, kind and name: the read and write sides of one read-write lock are one lock here. */
    @Override
    public Object lockIdentity() {
        String kind = mode == LockMode.EXCLUSIVE ? "mutex" : mode == LockMode.PERMIT ? "semaphore" : "read-write lock";
        return java.util.List.of(runtime, kind, name);
    }

    @Override
    public String providerDescription() {
        return runtime.description();
    }

    @Override
    public long providerSequence() {
        return runtime.sequence();
    }

    String describe() {
        return mode.name().toLowerCase(java.util.Locale.ROOT) + " lock " + Arguments.describe(name) + " on " + runtime.description();
    }

    @Override
    public String toString() {
        return "DistributedLock{" + describe() + "}";
    }
}
