package io.github.dlock.postgres;

import java.util.ArrayList;
import java.util.List;

/**
 * Semaphore: N advisory locks {@code (hash(name), 0..N-1)}, one per permit, taken with
 * try-locks. Waiters LISTEN on the semaphore's channel and releases NOTIFY it in the same
 * statement as the unlock.
 */
final class PostgresSemaphore extends PostgresAcquirer {
    /** Each attempt tries every permit, so the count is bounded to keep attempts cheap. */
    static final int MAX_PERMITS = 1024;

    private final List<Advisory> permits;
    private final String channel;

    PostgresSemaphore(PostgresLockProvider provider, String name, int permits) {
        super(provider, name);
        if (permits > MAX_PERMITS) {
            throw new IllegalArgumentException("permits must be at most " + MAX_PERMITS + " on the PostgreSQL backend: " + permits);
        }
        int key = AdvisoryKeys.semaphoreKey(provider.prefix(), name);
        List<Advisory> slots = new ArrayList<>(permits);
        for (int i = 0; i < permits; i++) slots.add(Advisory.slot(key, i));
        this.permits = List.copyOf(slots);
        this.channel = "dlock_sem_" + Integer.toHexString(key); // only hex: safe as an SQL identifier
    }

    @Override
    List<Advisory> candidates() {
        return permits;
    }

    @Override
    String notifyChannel() {
        return channel;
    }
}
