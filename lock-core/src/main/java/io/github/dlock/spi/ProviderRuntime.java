package io.github.dlock.spi;

import io.github.dlock.DistributedLock;
import io.github.dlock.DistributedReadWriteLock;
import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockMode;
import io.github.dlock.internal.Arguments;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
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

    private final String description;
    private final Ticker ticker;
    private final Set<HeldLock> held = ConcurrentHashMap.newKeySet();
    private final ExecutorService asyncExecutor;
    private volatile boolean closed;

    /** {@code description} names the provider in messages, e.g. {@code file:///var/lock/app}; no credentials. */
    public ProviderRuntime(String description, Ticker ticker) {
        this.description = Objects.requireNonNull(description, "description");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.asyncExecutor = Executors.newCachedThreadPool(daemonThreads("dlock-async"));
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

    /** A semaphore of {@code permits}; name and permits are validated before {@code acquirer} is called. */
    public DistributedSemaphore semaphore(String name, int permits, BiFunction<String, Integer, Acquirer> acquirer) {
        Arguments.requireName(name, "name");
        Arguments.requirePositive(permits, "permits");
        ensureOpen();
        return new DefaultSemaphore(name, permits, acquirer.apply(name, permits), this);
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

    /** Releases every lock still held through this provider, then stops its threads. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
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

    ExecutorService asyncExecutor() {
        return asyncExecutor;
    }

    void track(HeldLock lock) {
        held.add(lock);
        if (closed) {
            held.remove(lock);
            lock.release();
            ensureOpen();
        }
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
