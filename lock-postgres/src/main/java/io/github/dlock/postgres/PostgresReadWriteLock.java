package io.github.dlock.postgres;

import java.util.List;

/**
 * One side of a reader-writer lock: shared (read) or exclusive (write) advisory lock on the
 * name's key. PostgreSQL queues a new shared request behind a waiting exclusive one, which
 * makes it writer preferring.
 */
final class PostgresReadWriteLock extends PostgresAcquirer {
    private final List<Advisory> lock;

    PostgresReadWriteLock(PostgresLockProvider provider, String name, boolean read) {
        super(provider, name);
        this.lock = List.of(Advisory.single(AdvisoryKeys.key(provider.prefix(), "rw", name), read));
    }

    @Override
    List<Advisory> candidates() {
        return lock;
    }
}
