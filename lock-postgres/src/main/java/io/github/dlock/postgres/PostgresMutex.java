package io.github.dlock.postgres;

import java.util.List;

/** Mutex: a session-level exclusive advisory lock on the name's key. */
final class PostgresMutex extends PostgresAcquirer {
    private final List<Advisory> lock;

    PostgresMutex(PostgresLockProvider provider, String name) {
        this(provider, name, AdvisoryKeys.key(provider.prefix(), "mutex", name));
    }

    /** A mutex on an explicit key, shared with any other user of {@code pg_advisory_lock(key)}. */
    PostgresMutex(PostgresLockProvider provider, String name, long key) {
        super(provider, name);
        this.lock = List.of(Advisory.single(key, false));
    }

    @Override
    List<Advisory> candidates() {
        return lock;
    }
}
