package io.github.dlock.postgres;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.ReadWriteLockConformance;

class PostgresReadWriteLockTest extends ReadWriteLockConformance {
    @Override
    protected ConformanceBackend backend() {
        return PostgresBackend.INSTANCE;
    }
}
