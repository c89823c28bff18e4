package io.github.dlock.micrometer;

import io.github.dlock.LockListener;
import io.github.dlock.LockMode;
import io.github.dlock.LockProvider;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Micrometer meters for one {@link LockProvider}, fed by a {@link LockListener} that
 * {@link #bindTo} installs on the provider:
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>Name</th><th>Type</th><th>Tags</th><th>What</th></tr>
 *   <tr><td>{@code dlock.acquire}</td><td>Timer</td><td>{@code backend}, {@code kind}, {@code outcome}</td>
 *       <td>acquire attempts and how long each took; {@code outcome} is {@code acquired},
 *       {@code timeout}, {@code empty} (a single attempt found the lock taken),
 *       {@code interrupted} or {@code error}</td></tr>
 *   <tr><td>{@code dlock.held}</td><td>Timer</td><td>{@code backend}, {@code kind}</td>
 *       <td>releases and how long each lock was held</td></tr>
 *   <tr><td>{@code dlock.lost}</td><td>Counter</td><td>{@code backend}, {@code kind}</td>
 *       <td>locks found lost while held</td></tr>
 *   <tr><td>{@code dlock.held.locks}</td><td>Gauge</td><td>{@code backend}</td>
 *       <td>locks (and permits) held through the provider now ({@link LockProvider#heldLockCount()})</td></tr>
 *   <tr><td>{@code dlock.renewal.round.trips}</td><td>Counter</td><td>{@code backend}</td>
 *       <td>round trips made to renew leases (Redis: one per server every lease/3 while a lock is held)</td></tr>
 *   <tr><td>{@code dlock.renewal.failures}</td><td>Counter</td><td>{@code backend}</td>
 *       <td>lease renewals that failed because the store did not answer (retried next round)</td></tr>
 * </table>
 *
 * <p>{@code backend} is {@code file}, {@code redis} or {@code postgresql}; {@code kind} is
 * {@code mutex}, {@code read}, {@code write} (the sides of a read-write lock) or
 * {@code permit} (a semaphore). Every meter also carries the extra tags given to the
 * constructor: providers bound to one registry need distinct tags (e.g.
 * {@code provider=orders}) if they have the same backend; binding a second one with the same
 * tags fails, as its meters would merge with the first's (its gauge ignored, and closing
 * either would remove the other's meters). The counters and the gauge are registered at once; the
 * timers on their first event. Lock names never become tags (they are unbounded).
 *
 * <p>Releases, holds and losses are measured for locks acquired after {@link #bindTo}; the
 * gauge counts every held lock. Meters are recorded on the thread of the lock operation (see
 * {@link LockListener}); recording never blocks and cannot fail a lock operation.
 *
 * <pre>{@code
 * LockProvider locks = LockProvider.open("redis://localhost:6379");
 * DlockMetrics metrics = new DlockMetrics(locks, Tags.of("provider", "orders"));
 * metrics.bindTo(registry);          // or declare it as a MeterBinder bean
 * ...
 * metrics.close();                   // removes the listener and the meters
 * }</pre>
 *
 * <p>Thread-safe. It may be bound to several registries; {@link #close()} unbinds it from all.
 */
public final class DlockMetrics implements MeterBinder, AutoCloseable {
    private final LockProvider provider;
    private final Tags tags;
    private final String backend;
    private final List<Binding> bindings = new CopyOnWriteArrayList<>();
    private final ReentrantLock lifecycle = new ReentrantLock();
    private volatile boolean closed;

    /**
     * Metrics for {@code provider}, tagged with its backend only.
     *
     * @param provider the provider to measure
     * @throws NullPointerException if {@code provider} is null
     * @throws UnsupportedOperationException if the provider does not report events (not one of
     *     dlock's file, Redis or PostgreSQL providers)
     */
    public DlockMetrics(LockProvider provider) {
        this(provider, Tags.empty());
    }

    /**
     * Metrics for {@code provider}, tagged with its backend and {@code tags}.
     *
     * @param provider the provider to measure
     * @param tags extra tags for every meter, e.g. {@code Tags.of("provider", "orders")}; must
     *     not use the keys {@code backend}, {@code kind} or {@code outcome}
     * @throws NullPointerException if {@code provider} or {@code tags} is null
     * @throws IllegalArgumentException if {@code tags} uses a key this binder sets itself
     * @throws UnsupportedOperationException if the provider does not report events (not one of
     *     dlock's file, Redis or PostgreSQL providers)
     */
    public DlockMetrics(LockProvider provider, Iterable<Tag> tags) {
        this.provider = Objects.requireNonNull(provider, "provider");
        Tags extra = Tags.of(Objects.requireNonNull(tags, "tags"));
        for (Tag tag : extra) {
            if (List.of("backend", "kind", "outcome").contains(tag.getKey())) {
                throw new IllegalArgumentException("tags must not use the key '" + tag.getKey() + "': DlockMetrics sets it");
            }
        }
        this.backend = provider.backend();
        this.tags = extra.and("backend", backend);
    }

    /**
     * Registers the meters in {@code registry} and installs the listener that records them.
     * Binding again to a registry this binder is bound to does nothing (events are counted
     * once).
     *
     * @param registry the registry
     * @throws NullPointerException if {@code registry} is null
     * @throws IllegalStateException if this binder or the provider is closed, or another
     *     binder with the same tags is bound to {@code registry}
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        lifecycle.lock();
        try {
            if (closed) throw new IllegalStateException("DlockMetrics for " + provider + " is closed");
            for (Binding bound : bindings) if (bound.registry == registry) return; // bound already: a second listener would count twice
            claim(registry, tags, provider);
            Binding binding;
            try {
                binding = new Binding(registry);
            } catch (RuntimeException e) {
                unclaim(registry, tags);
                throw e;
            }
            try {
                binding.registration = provider.listen(binding);
            } catch (RuntimeException e) {
                binding.close(); // takes its meters out again
                throw e;
            }
            bindings.add(binding);
        } finally {
            lifecycle.unlock();
        }
    }

    /**
     * Removes the listener from the provider and this binder's meters from every registry it
     * was bound to. Idempotent; the provider stays open.
     */
    @Override
    public void close() {
        lifecycle.lock();
        try {
            closed = true;
            for (Binding binding : bindings) binding.close();
            bindings.clear();
        } finally {
            lifecycle.unlock();
        }
    }

    @Override
    public String toString() {
        return "DlockMetrics{" + provider + ", " + tags + "}";
    }

    /** The tags bound per registry, by any binder: two with the same tags would share meters. */
    private static final Map<MeterRegistry, Set<Tags>> CLAIMED = new WeakHashMap<>(); // guarded by itself

    private static void claim(MeterRegistry registry, Tags tags, LockProvider provider) {
        synchronized (CLAIMED) { // no I/O here
            if (!CLAIMED.computeIfAbsent(registry, r -> new HashSet<>()).add(tags)) {
                throw new IllegalStateException("another DlockMetrics with tags " + tags + " is bound to this registry; give the binder of "
                        + provider + " distinct tags (e.g. Tags.of(\"provider\", \"orders\")), or its meters would merge with the other's");
            }
        }
    }

    private static void unclaim(MeterRegistry registry, Tags tags) {
        synchronized (CLAIMED) {
            Set<Tags> claimed = CLAIMED.get(registry);
            if (claimed != null) claimed.remove(tags);
        }
    }

    private static String kind(LockMode mode) {
        return switch (mode) {
            case EXCLUSIVE -> "mutex";
            case READ -> "read";
            case WRITE -> "write";
            case PERMIT -> "permit";
        };
    }

    /** The meters in one registry, and the listener that records them. */
    private final class Binding implements LockListener {
        private static final int KINDS = LockMode.values().length;
        private static final int OUTCOMES = LockListener.Outcome.values().length;

        private final MeterRegistry registry;
        private final List<Meter> meters = new CopyOnWriteArrayList<>();
        private final AtomicReferenceArray<Timer> acquire = new AtomicReferenceArray<>(KINDS * OUTCOMES);
        private final AtomicReferenceArray<Timer> held = new AtomicReferenceArray<>(KINDS);
        private final Counter[] lost = new Counter[KINDS];
        private final Counter roundTrips;
        private final Counter renewalFailures;
        volatile LockListener.Registration registration;

        Binding(MeterRegistry registry) {
            this.registry = registry;
            for (LockMode mode : LockMode.values()) {
                lost[mode.ordinal()] = keep(Counter.builder("dlock.lost").tags(tags).tag("kind", kind(mode))
                        .description("Locks found lost while held").register(registry));
            }
            roundTrips = keep(Counter.builder("dlock.renewal.round.trips").tags(tags)
                    .description("Round trips made to renew lock leases").register(registry));
            renewalFailures = keep(Counter.builder("dlock.renewal.failures").tags(tags)
                    .description("Lease renewals that failed because the store did not answer").register(registry));
            keep(Gauge.builder("dlock.held.locks", provider, LockProvider::heldLockCount).tags(tags)
                    .description("Locks held through the provider now").register(registry));
        }

        private <M extends Meter> M keep(M meter) {
            meters.add(meter);
            return meter;
        }

        @Override
        public void acquireFinished(String name, LockMode mode, String backend, Outcome outcome, long waitNanos) {
            int i = mode.ordinal() * OUTCOMES + outcome.ordinal();
            Timer timer = acquire.get(i);
            if (timer == null) {
                if (closed) return; // do not register meters again after close() removed them
                timer = Timer.builder("dlock.acquire").tags(tags).tag("kind", kind(mode))
                        .tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                        .description("Lock acquire attempts and how long they took").register(registry);
                if (acquire.compareAndSet(i, null, timer)) keep(timer); // a racing thread got the same meter from the registry
            }
            timer.record(waitNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void released(String name, LockMode mode, String backend, long holdNanos) {
            Timer timer = held.get(mode.ordinal());
            if (timer == null) {
                if (closed) return;
                timer = Timer.builder("dlock.held").tags(tags).tag("kind", kind(mode))
                        .description("Lock releases and how long the locks were held").register(registry);
                if (held.compareAndSet(mode.ordinal(), null, timer)) keep(timer);
            }
            timer.record(holdNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void lost(String name, LockMode mode, String backend, String reason) {
            lost[mode.ordinal()].increment();
        }

        @Override
        public void renewalRound(String backend, int locks, int trips, int failures) {
            roundTrips.increment(trips);
            if (failures > 0) renewalFailures.increment(failures);
        }

        void close() {
            LockListener.Registration r = registration;
            if (r != null) r.close();
            for (Meter meter : meters) registry.remove(meter);
            unclaim(registry, tags);
        }

        @Override
        public String toString() {
            return DlockMetrics.this.toString();
        }
    }
}
