package io.github.dlock.spi;

import io.github.dlock.internal.Arguments;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the leases of held locks alive with one thread per provider: every interval it hands
 * all registered locks to the backend's {@link Batch} at once (so the backend can renew them
 * in one round trip per server), then acts on the outcome: a lease reported gone, or not
 * renewed successfully for a whole lease, completes the lock's {@code lost()} signal.
 *
 * <p>A lock is unregistered before it is released, so a released lock is never renewed
 * again; a renewal already in flight cannot resurrect it because backends renew only while
 * the holder's own token is still there.
 */
public class LeaseRenewer<T extends HeldLock> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseRenewer.class);

    /** What a renewal found for one lock. */
    public enum Outcome {
        /** The lease was extended. */
        RENEWED,
        /** The lease no longer exists or belongs to someone else. */
        GONE,
        /** The store could not be asked (connection or server error); try again next time. */
        FAILED
    }

    /** The backend's renewal of many locks at once; the result must hold an outcome per lock. */
    @FunctionalInterface
    public interface Batch<T> {
        Map<T, Outcome> renew(Collection<T> locks);
    }

    private final Map<T, Long> lastRenewed = new ConcurrentHashMap<>();
    private final Batch<T> batch;
    private final Ticker ticker;
    private final long leaseNanos;
    private final ScheduledExecutorService thread;

    private LeaseRenewer() {
        this.batch = null;
        this.ticker = null;
        this.leaseNanos = 0;
        this.thread = null;
    }

    /**
     * Renews every {@code interval}; declares a lock lost after {@code lease} without a
     * successful renewal.
     */
    public LeaseRenewer(String threadName, Duration lease, Duration interval, Ticker ticker, Batch<T> batch) {
        Arguments.requirePositive(lease, "lease");
        Arguments.requirePositive(interval, "interval");
        if (interval.compareTo(lease) >= 0) throw new IllegalArgumentException("interval must be shorter than the lease: " + interval + " >= " + lease);
        this.batch = Objects.requireNonNull(batch, "batch");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.leaseNanos = lease.toNanos();
        this.thread = Executors.newSingleThreadScheduledExecutor(ProviderRuntime.daemonThreads(threadName));
        long every = interval.toNanos();
        thread.scheduleAtFixedRate(this::renewAll, every, every, TimeUnit.NANOSECONDS); // a slow batch must not stretch the cadence
    }

    /** A renewer that renews nothing: leases simply run out. */
    public static <T extends HeldLock> LeaseRenewer<T> disabled() {
        return new LeaseRenewer<>() {
            @Override
            public void register(T lock) {}
        };
    }

    /** Starts renewing {@code lock}, whose lease was granted just now. */
    public void register(T lock) {
        lastRenewed.put(lock, ticker.read());
    }

    /** Stops renewing {@code lock}; call before releasing it. */
    public void unregister(T lock) {
        lastRenewed.remove(lock);
    }

    /** One renewal round; normally run by the renewer's thread. */
    public void renewAll() {
        List<T> due = new ArrayList<>(lastRenewed.keySet());
        if (due.isEmpty()) return;
        Map<T, Outcome> outcomes;
        try {
            outcomes = batch.renew(due);
        } catch (RuntimeException e) {
            LOG.warn("Lease renewal of {} locks failed; will retry", due.size(), e);
            outcomes = Map.of();
        }
        long now = ticker.read();
        for (T lock : due) {
            Outcome outcome = outcomes.getOrDefault(lock, Outcome.FAILED);
            if (outcome == Outcome.RENEWED) {
                lastRenewed.replace(lock, now);
            } else if (outcome == Outcome.GONE) {
                if (lastRenewed.remove(lock) != null) lock.markLost("its lease expired or was taken over (or the server lost it)");
            } else {
                Long last = lastRenewed.get(lock);
                if (last != null && now - last >= leaseNanos && lastRenewed.remove(lock) != null) {
                    lock.markLost("no lease renewal succeeded for a whole lease (" + Duration.ofNanos(leaseNanos) + ")");
                }
            }
        }
    }

    @Override
    public void close() {
        if (thread != null) thread.shutdownNow();
        lastRenewed.clear();
    }
}
