package io.github.dlock.internal;

import io.github.dlock.internal.Arguments;
import io.github.dlock.spi.HeldLock;
import io.github.dlock.spi.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the leases of held locks alive, and tells a holder it lost its lock no later than
 * anyone else could take it.
 *
 * <p><b>Validity deadline.</b> Every registered lock has a local deadline: the <em>send</em>
 * time of its last successful acquisition or renewal + the lease − clock drift
 * ({@link #driftNanos 1% of the lease + 2 ms}, as Redlock). The store cannot let the lease
 * run out before that moment (the lease starts on the server after the request was sent),
 * so completing {@code lost()} at the deadline tells the holder first. A timer thread fires
 * at the deadline whatever the network is doing: a renewal stuck on a silent connection does
 * not delay it. This applies with or without automatic renewal
 * ({@link #withoutRenewal}).
 *
 * <p><b>Renewal.</b> Every interval the renewal thread hands all registered locks to the
 * backend's {@link Batch} at once (one round trip per server); a lock renewed moves its
 * deadline to that round's send time + lease − drift; a lock reported gone completes
 * {@code lost()} at once; a failure changes nothing (the deadline stays and the next round
 * tries again).
 *
 * <p>Threads: renewal rounds run on one thread, deadlines fire on another (so a blocked
 * renewal never delays them); {@code lost()} is completed on whichever of the two finds the
 * loss. A lock is unregistered before it is released, so a released lock is never renewed
 * or reported lost again; a renewal already in flight cannot resurrect it because backends
 * renew only while the holder's own token is still there.
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

    /**
     * The backend's renewal of many locks at once to {@code lease} from now (never
     * shortening a longer lease); the result must hold an outcome per lock (a missing one
     * counts as {@link Outcome#FAILED}).
     */
    @FunctionalInterface
    public interface Batch<T> {
        Map<T, Outcome> renew(Collection<T> locks, Duration lease);

        /**
         * As {@link #renew(Collection, Duration)}, reporting outcomes to {@code settled} as they
         * become known, before this returns (a backend that asks several servers in parallel
         * reports each server's part when it arrives, so a stalled server does not hold back
         * the deadlines of the locks the others renewed). {@code settled} may be called from
         * several threads at once, at most once per lock; a lock never reported counts as
         * {@link Outcome#FAILED}. The default reports the whole result at the end.
         *
         * @param locks the locks to renew
         * @param lease the lease, from now
         * @param settled receives each lock's outcome; must not block
         */
        default void renew(Collection<T> locks, Duration lease, java.util.function.BiConsumer<T, Outcome> settled) {
            renew(locks, lease).forEach(settled);
        }

        /** How many round trips to the store one {@link #renew} call makes (e.g. one per server); reported to listeners. */
        default int roundTrips() {
            return 1;
        }
    }

    private final Map<T, Entry> entries = new ConcurrentHashMap<>();
    private final Batch<T> batch;
    private final Ticker ticker;
    private final long leaseNanos;
    private final ScheduledExecutorService renewals; // null without automatic renewal
    private final ScheduledThreadPoolExecutor deadlines;
    private volatile ProviderRuntime events; // reports renewal rounds to its listeners; null: nobody

    private LeaseRenewer(Batch<T> batch, Ticker ticker, Duration lease, String threadName, Duration interval) {
        Arguments.requirePositive(lease, "lease");
        this.batch = Objects.requireNonNull(batch, "batch");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.leaseNanos = lease.toNanos();
        this.deadlines = new ScheduledThreadPoolExecutor(1, ProviderRuntime.daemonThreads(threadName + "-deadlines"));
        deadlines.setRemoveOnCancelPolicy(true);
        if (interval == null) {
            this.renewals = null;
            return;
        }
        this.renewals = Executors.newSingleThreadScheduledExecutor(ProviderRuntime.daemonThreads(threadName));
        long every = interval.toNanos();
        renewals.scheduleAtFixedRate(this::renewAll, every, every, TimeUnit.NANOSECONDS); // a slow batch must not stretch the cadence
    }

    /**
     * Renews every {@code interval}; a lock not renewed successfully by its validity deadline
     * is reported lost then.
     *
     * @throws IllegalArgumentException if {@code lease} or {@code interval} is not positive,
     *     or the interval is not shorter than the lease
     * @throws NullPointerException if an argument is null
     */
    public LeaseRenewer(String threadName, Duration lease, Duration interval, Ticker ticker, Batch<T> batch) {
        this(batch, ticker, lease, threadName, requireInterval(interval, lease));
    }

    /**
     * Renews nothing on its own: leases run out at their validity deadline (reported as lost
     * then) unless {@link #extend extended}; {@code batch} serves {@code extend} only.
     */
    public static <T extends HeldLock> LeaseRenewer<T> withoutRenewal(String threadName, Duration lease, Ticker ticker, Batch<T> batch) {
        return new LeaseRenewer<>(batch, ticker, lease, threadName, null);
    }

    private static Duration requireInterval(Duration interval, Duration lease) {
        Arguments.requirePositive(interval, "interval");
        Arguments.requirePositive(lease, "lease");
        if (interval.compareTo(lease) >= 0) throw new IllegalArgumentException("interval must be shorter than the lease: " + interval + " >= " + lease);
        return interval;
    }

    /**
     * Reports every renewal round (that had locks to renew) to {@code runtime}'s listeners.
     *
     * @return this renewer
     */
    public LeaseRenewer<T> reportingTo(ProviderRuntime runtime) {
        this.events = Objects.requireNonNull(runtime, "runtime");
        return this;
    }

    /** The clock drift allowed for on a lease of {@code leaseNanos}: 1% + 2 ms, as Redlock. */
    public static long driftNanos(long leaseNanos) {
        return leaseNanos / 100 + 2_000_000;
    }

    /** How long a lease sent at some moment stays valid locally from that moment: lease − drift. */
    public long validityNanos() {
        return leaseNanos - driftNanos(leaseNanos);
    }

    /**
     * Starts watching (and renewing) {@code lock}, whose lease was granted by a request sent
     * at {@code sentAtNanos} (read from this renewer's ticker before sending). Its deadline
     * is {@code sentAtNanos} + lease − drift; if that has passed already, it is lost at once.
     */
    public void register(T lock, long sentAtNanos) {
        Entry entry = new Entry(lock, sentAtNanos + validityNanos());
        entries.put(lock, entry);
        arm(entry);
    }

    /** Stops renewing and watching {@code lock}; call before releasing it. */
    public void unregister(T lock) {
        Entry entry = entries.remove(lock);
        if (entry != null) entry.disarm();
    }

    /** Time left until {@code lock}'s local validity deadline; 0 if passed or not registered. */
    public long remainingNanos(T lock) {
        Entry entry = entries.get(lock);
        return entry == null ? 0 : Math.max(0, entry.validUntil.get() - ticker.read());
    }

    /**
     * Renews {@code lock} now to {@code lease} (for {@code extend}); on success its deadline
     * moves to the send time + that lease − its drift, if later than the current one. Later
     * automatic renewals use the configured lease again: they keep a longer lease as it is
     * and take over once it has run down to the configured length. Runs on the caller's
     * thread.
     *
     * @return the outcome; {@link Outcome#GONE} (and the lock reported lost) if the store no
     *     longer holds it, also if it was no longer registered
     */
    public Outcome extend(T lock, Duration lease) {
        Objects.requireNonNull(lease, "lease");
        Entry entry = entries.get(lock);
        if (entry == null) return Outcome.GONE;
        long sent = ticker.read();
        Outcome outcome = batch.renew(List.of(lock), lease).getOrDefault(lock, Outcome.FAILED);
        long nanos = lease.toNanos();
        apply(entry, outcome, sent + nanos - driftNanos(nanos));
        return outcome;
    }

    /** One renewal round; normally run by the renewal thread. */
    public void renewAll() {
        List<T> due = new ArrayList<>(entries.keySet());
        if (due.isEmpty()) return;
        long sent = ticker.read();
        long validUntil = sent + validityNanos();
        Map<T, Outcome> outcomes = new ConcurrentHashMap<>();
        try {
            // applied as they arrive: a lock renewed by a server that answered is safe from its
            // old deadline even while another server's part is still outstanding
            batch.renew(due, Duration.ofNanos(leaseNanos), (lock, outcome) -> {
                outcomes.put(lock, outcome);
                Entry entry = entries.get(lock);
                if (entry != null) apply(entry, outcome, validUntil);
            });
        } catch (RuntimeException e) {
            LOG.warn("Lease renewal of {} locks failed; will retry", due.size(), e);
        }
        int failures = 0;
        for (T lock : due) {
            if (entries.get(lock) == null) continue; // released meanwhile
            if (outcomes.getOrDefault(lock, Outcome.FAILED) == Outcome.FAILED) failures++;
        }
        ProviderRuntime report = events;
        if (report != null) report.renewalRound(due.size(), batch.roundTrips(), failures);
        expireDue();
    }

    private void apply(Entry entry, Outcome outcome, long validUntilIfRenewed) {
        if (outcome == Outcome.RENEWED) {
            entry.validUntil.accumulateAndGet(validUntilIfRenewed, (a, b) -> b - a > 0 ? b : a); // ticker values may wrap
        } else if (outcome == Outcome.GONE && entries.remove(entry.lock, entry)) {
            entry.disarm();
            entry.lock.markLost("its lease expired or was taken over (or the server lost it)");
        }
    }

    /**
     * Reports every lock whose deadline has passed as lost; the timer does this on its own,
     * this is for callers that drive the ticker themselves (tests).
     */
    public void expireDue() {
        for (Entry entry : new ArrayList<>(entries.values())) expire(entry, false);
    }

    private void arm(Entry entry) {
        long delay = Math.max(0, entry.validUntil.get() - ticker.read());
        try {
            ScheduledFuture<?> timer = deadlines.schedule(() -> expire(entry, true), delay, TimeUnit.NANOSECONDS);
            entry.timer = timer;
            if (entries.get(entry.lock) != entry) timer.cancel(false); // unregistered meanwhile
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // the renewer is closed: nothing is watched any more
        }
    }

    private void expire(Entry entry, boolean onTimer) {
        if (entries.get(entry.lock) != entry) return;
        long left = entry.validUntil.get() - ticker.read();
        if (left > 0) {
            if (onTimer) arm(entry); // renewed meanwhile: wait for the new deadline
            return;
        }
        if (entries.remove(entry.lock, entry)) {
            entry.disarm();
            entry.lock.markLost("no lease renewal succeeded before its validity deadline (lease " + Duration.ofNanos(leaseNanos)
                    + " from the last successful renewal's send time, less clock drift)");
        }
    }

    @Override
    public void close() {
        if (renewals != null) renewals.shutdownNow();
        deadlines.shutdownNow();
        entries.clear();
    }

    private final class Entry {
        final T lock;
        final AtomicLong validUntil;
        volatile ScheduledFuture<?> timer;

        Entry(T lock, long validUntil) {
            this.lock = lock;
            this.validUntil = new AtomicLong(validUntil);
        }

        void disarm() {
            ScheduledFuture<?> t = timer;
            if (t != null) t.cancel(false);
        }
    }
}
