package io.github.dlock.internal;

import io.github.dlock.LockHandle;
import io.github.dlock.internal.Arguments;
import io.github.dlock.spi.HeldLock;
import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The public face of a {@link HeldLock}; releases it through a {@link Cleaner} if leaked. */
final class DefaultLockHandle implements LockHandle {
    private static final Cleaner CLEANER = Cleaner.create(ProviderRuntime.daemonThreads("dlock-cleaner"));

    private final HeldLock held;
    private final ReleaseAction releaseAction;
    private final Cleaner.Cleanable cleanable;

    DefaultLockHandle(HeldLock held, ProviderRuntime runtime) {
        this.held = held;
        this.releaseAction = new ReleaseAction(held, runtime);
        this.cleanable = CLEANER.register(this, releaseAction);
    }

    /** The backend's state behind this handle; for core's tests. */
    HeldLock held() {
        return held;
    }

    @Override
    public String name() {
        return held.name();
    }

    @Override
    public long fencingToken() {
        return held.fencingToken();
    }

    @Override
    public CompletionStage<Void> lost() {
        return held.lostStage();
    }

    @Override
    public boolean isLost() {
        return held.isLost();
    }

    @Override
    public boolean isReleased() {
        return held.isReleased();
    }

    @Override
    public void extend(Duration duration) {
        Arguments.requirePositive(duration, "duration");
        held.extend(duration);
    }

    @Override
    public java.util.Optional<Duration> remainingLease() {
        return held.remainingLease();
    }

    @Override
    public void release() {
        releaseAction.explicit = true;
        cleanable.clean();
    }

    @Override
    public void close() {
        release();
    }

    @Override
    public String toString() {
        return "LockHandle{name=" + Arguments.describe(held.name()) + ", token=" + held.fencingToken()
                + (held.isReleased() ? ", released" : held.isLost() ? ", lost" : ", held") + "}";
    }

    /** Runs once: on release, or from the Cleaner when the handle became unreachable unreleased. */
    private static final class ReleaseAction implements Runnable {
        private static final Logger LOG = LoggerFactory.getLogger(LockHandle.class);
        private final HeldLock held;
        private final ProviderRuntime runtime;
        volatile boolean explicit;

        ReleaseAction(HeldLock held, ProviderRuntime runtime) {
            this.held = held;
            this.runtime = runtime;
        }

        @Override
        public void run() {
            // counted before the lock stops being tracked: a close() that no longer sees the lock
            // waits for this release to reach the store before the backend closes its connections
            runtime.beginCall();
            Object timing;
            boolean releasedNow;
            try {
                timing = runtime.untrack(held);
                releasedNow = held.release();
            } catch (RuntimeException e) {
                if (runtime.isClosed()) throw runtime.closedWhileReleasing(held.name(), e); // close shut the connections under it
                throw e;
            } finally {
                runtime.endCall();
            }
            if (releasedNow && timing instanceof ProviderRuntime.Timing t) runtime.released(held, t); // only for locks acquired under listeners
            if (releasedNow && !explicit) {
                LOG.warn("LockHandle for lock {} became unreachable without release(); released it. "
                        + "Use try-with-resources to release locks deterministically.", Arguments.describe(held.name()));
            }
        }
    }
}
