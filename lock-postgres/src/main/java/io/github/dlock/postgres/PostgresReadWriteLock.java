package io.github.dlock.postgres;

import java.util.List;

/**
 * Reader-writer lock: shared vs exclusive advisory locks on one key. PostgreSQL queues a new
 * shared request behind a waiting exclusive one, which makes it writer preferring.
 */
final class PostgresReadWriteLock {
    private PostgresReadWriteLock() {}

    /** The read side. */
    static final class Read extends PostgresAcquirer {
        private final List<Advisory> lock;

        Read(PostgresLockProvider provider, String name) {
            super(provider, name);
            this.lock = List.of(Advisory.single(AdvisoryKeys.key(provider.prefix(), "rw", name), true));
        }

        @Override
        List<Advisory> candidates() {
            return lock;
        }
    }

    /** The write side. */
    static final class Write extends PostgresAcquirer {
        private final List<Advisory> lock;

        Write(PostgresLockProvider provider, String name) {
            super(provider, name);
            this.lock = List.of(Advisory.single(AdvisoryKeys.key(provider.prefix(), "rw", name), false));
        }

        @Override
        List<Advisory> candidates() {
            return lock;
        }
    }
}
