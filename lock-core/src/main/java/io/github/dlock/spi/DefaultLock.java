package io.github.dlock.spi;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockMode;
import io.github.dlock.LockTimeoutException;
import io.github.dlock.internal.Arguments;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/** Every public acquire variant, built once on a backend's {@link Acquirer}. */
class DefaultLock implements DistributedLock {
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
        try {
            return Optional.ofNullable(attempt(Deadline.after(Duration.ZERO, runtime.ticker())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    @Override
    public Optional<LockHandle> tryAcquire(Duration timeout) throws InterruptedException {
        return Optional.ofNullable(attempt(Deadline.after(timeout, runtime.ticker())));
    }

    @Override
    public CompletableFuture<LockHandle> acquireAsync(Duration timeout) {
        Arguments.requireNonNegative(timeout, "timeout");
        runtime.ensureOpen();
        CompletableFuture<LockHandle> result = new CompletableFuture<>();
        Future<?> task = runtime.asyncExecutor().submit(() -> {
            try {
                LockHandle handle = acquire(timeout);
                if (!result.complete(handle)) handle.release();
            } catch (InterruptedException e) {
                result.cancel(false);
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        result.whenComplete((h, e) -> {
            if (result.isCancelled()) task.cancel(true);
        });
        return result;
    }

    private LockHandle acquireOrThrow(Deadline deadline) throws InterruptedException {
        LockHandle handle = attempt(deadline);
        if (handle != null) return handle;
        if (deadline.hasExpired()) {
            throw new LockTimeoutException("timed out after " + deadline.timeout() + " waiting for " + describe());
        }
        throw new LockTimeoutException("gave up waiting for " + describe() + ": the retry strategy's attempt limit was reached");
    }

    private LockHandle attempt(Deadline deadline) throws InterruptedException {
        runtime.ensureOpen();
        HeldLock held = acquirer.tryAcquire(deadline);
        if (held == null) return null;
        DefaultLockHandle handle = new DefaultLockHandle(held, runtime);
        runtime.track(held);
        return handle;
    }

    String describe() {
        return mode.name().toLowerCase(java.util.Locale.ROOT) + " lock " + Arguments.describe(name) + " on " + runtime.description();
    }

    @Override
    public String toString() {
        return "DistributedLock{" + describe() + "}";
    }
}
