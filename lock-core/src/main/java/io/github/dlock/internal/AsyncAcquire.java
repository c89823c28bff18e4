package io.github.dlock.internal;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One {@link DistributedLock#acquireAsync} call: the task an executor runs and the future it
 * completes. Cancelling the future interrupts the thread running the task, but only while it
 * runs it (never a pool thread that has moved on), and the task clears that interrupt again
 * before it returns the thread to its executor. Any other interrupt that ends the wait (the
 * caller's, when the executor runs the task on the calling thread; the executor owner's) cancels
 * the future and stays set on the thread.
 */
final class AsyncAcquire implements Runnable {
    private final DefaultLock lock;
    private final Duration timeout;
    final CompletableFuture<LockHandle> result = new CompletableFuture<>();
    private Thread runner; // guarded by this
    private boolean interruptedByCancel; // guarded by this

    AsyncAcquire(DefaultLock lock, Duration timeout) {
        this.lock = lock;
        this.timeout = timeout;
        result.whenComplete((h, e) -> {
            if (result.isCancelled()) interruptRunner();
        });
    }

    @Override
    public void run() {
        synchronized (this) {
            if (result.isDone()) return; // cancelled or the provider closed before it started
            runner = Thread.currentThread();
        }
        try {
            LockHandle handle = lock.acquire(timeout);
            if (!result.complete(handle)) handle.release(); // cancelled meanwhile: hold nothing
        } catch (InterruptedException e) {
            boolean byCancel;
            synchronized (this) {
                byCancel = interruptedByCancel;
                runner = null; // so that the cancel below does not interrupt this thread again
            }
            result.cancel(false); // interrupted by cancel (then already cancelled) or by someone else
            // Someone else's interrupt (the caller's own, when the executor runs tasks on the
            // calling thread, or the executor owner's, e.g. shutdownNow) is theirs: keep it set.
            if (!byCancel) Thread.currentThread().interrupt();
        } catch (Throwable t) {
            result.completeExceptionally(t);
        } finally {
            synchronized (this) {
                runner = null;
                if (interruptedByCancel) Thread.interrupted(); // do not leak our interrupt into the executor
            }
        }
    }

    private synchronized void interruptRunner() {
        if (runner != null) {
            interruptedByCancel = true;
            runner.interrupt();
        }
    }
}
