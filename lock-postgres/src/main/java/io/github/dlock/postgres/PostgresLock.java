package io.github.dlock.postgres;

import io.github.dlock.LockMode;
import java.util.List;

/** Mutex: a session-level exclusive advisory lock on the name's key. */
final class PostgresLock extends PostgresAcquirer {
    private final List<Advisory> lock;

    PostgresLock(PostgresLockProvider provider, String name) {
        super(provider, name, LockMode.EXCLUSIVE);
        this.lock = List.of(Advisory.single(AdvisoryKeys.key(provider.prefix(), "mutex", name), false));
    }

    @Override
    List<Advisory> candidates() {
        return lock;
    }
}
