package io.github.dlock.internal;

import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockHolder;
import io.github.dlock.LockMode;
import io.github.dlock.spi.Acquirer;
import java.util.List;
import java.util.function.Function;

/** A {@link DefaultLock} whose acquisitions are permits. */
final class DefaultSemaphore extends DefaultLock implements DistributedSemaphore {
    private final int permits;
    private final Function<String, List<LockHolder>> holders; // null: the backend cannot tell

    DefaultSemaphore(String name, int permits, Acquirer acquirer, ProviderRuntime runtime, Function<String, List<LockHolder>> holders) {
        super(name, LockMode.PERMIT, acquirer, runtime);
        this.permits = permits;
        this.holders = holders;
    }

    @Override
    public int availablePermits() {
        if (holders == null) throw new UnsupportedOperationException("this backend cannot count the holders of a semaphore");
        long held = holders.apply(name()).stream().filter(h -> h.mode() == LockMode.PERMIT).count();
        return (int) Math.max(0, permits - Math.min(held, permits));
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
