package io.github.dlock.spring;

import io.github.dlock.LockProvider;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * Health of the lock store: UP when it answers a read-only query
 * ({@link LockProvider#holders(String) holders} of {@value #PROBE_NAME}), DOWN with the error
 * (credentials masked) when the query fails or gives no answer within the timeout.
 *
 * <p>The probe takes no lock, so it writes nothing (no fencing counter drawn, no lock file
 * rewritten, nothing for a lease to leave behind) and never contends with the probes of other
 * instances. Each check returns within the timeout whatever the store does: the query runs on
 * a daemon thread of its own, and at most one query is in flight per indicator (checks made
 * while a stalled query is still out wait for that one, within their own timeout, instead of
 * starting more).
 */
public class DlockHealthIndicator implements HealthIndicator {
    /** The lock name whose holders the probe asks for. */
    public static final String PROBE_NAME = "dlock-health-probe";

    private final LockProvider provider;
    /** The longest check timeout: a day (a health check waiting longer is a mistake, and overflows nanoseconds). */
    static final Duration MAX_TIMEOUT = Duration.ofDays(1);

    private final Duration timeout;
    private final Redaction redaction;
    private final AtomicReference<CompletableFuture<Integer>> inFlight = new AtomicReference<>();

    /**
     * An indicator that masks only generic credential shapes in its error messages.
     *
     * @param provider the provider to probe
     * @param timeout how long a check waits for the answer; positive
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code timeout} is not positive, or longer than a day
     */
    public DlockHealthIndicator(LockProvider provider, Duration timeout) {
        this(provider, timeout, Redaction.none());
    }

    DlockHealthIndicator(LockProvider provider, Duration timeout, Redaction redaction) {
        this.provider = Objects.requireNonNull(provider, "provider");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive: " + timeout);
        if (timeout.compareTo(MAX_TIMEOUT) > 0) throw new IllegalArgumentException("timeout must be at most " + MAX_TIMEOUT + ": " + timeout);
        this.redaction = Objects.requireNonNull(redaction, "redaction");
    }

    /**
     * Probes the store.
     *
     * @return UP with the provider's type, or DOWN with {@code error} (the failure, credentials
     *     masked) and the provider's type; never throws for a store failure
     */
    @Override
    public Health health() {
        String type = provider.getClass().getSimpleName();
        CompletableFuture<Integer> probe = currentProbe();
        try {
            int holders = probe.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return Health.up().withDetail("provider", type).withDetail("probeHolders", holders).build();
        } catch (TimeoutException e) {
            return Health.down().withDetail("provider", type)
                    .withDetail("error", "the lock store gave no answer within " + timeout.toMillis() + " ms").build();
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return Health.down().withDetail("provider", type)
                    .withDetail("error", cause.getClass().getName() + ": " + redaction.mask(String.valueOf(cause.getMessage()))).build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Health.unknown().withDetail("provider", type).withDetail("error", "interrupted while checking").build();
        }
    }

    /** The query in flight, or a new one if none is. */
    private CompletableFuture<Integer> currentProbe() {
        while (true) {
            CompletableFuture<Integer> current = inFlight.get();
            if (current != null && !current.isDone()) return current;
            CompletableFuture<Integer> next = new CompletableFuture<>();
            if (!inFlight.compareAndSet(current, next)) continue;
            Thread t = new Thread(() -> {
                try {
                    next.complete(provider.holders(PROBE_NAME).size());
                } catch (Throwable failure) {
                    next.completeExceptionally(failure);
                }
            }, "dlock-health-probe");
            t.setDaemon(true);
            t.start();
            return next;
        }
    }
}
