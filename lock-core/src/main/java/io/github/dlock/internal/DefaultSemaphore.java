package io.github.dlock.internal;

import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockMode;
import io.github.dlock.spi.Acquirer;

/** A {@link DefaultLock} whose acquisitions are permits. */
final class DefaultSemaphore extends DefaultLock implements DistributedSemaphore {
    private final int permits;

    DefaultSemaphore(String name, int permits, Acquirer acquirer, ProviderRuntime runtime) {
        super(name, LockMode.PERMIT, acquirer, runtime);
        this.permits = permits;
    }

    @Override
    public int permits() {
        return permits;
    }

    @Override
    String describe() {
        return super.describe() + " (" + permits + " permits)";
    }
}
