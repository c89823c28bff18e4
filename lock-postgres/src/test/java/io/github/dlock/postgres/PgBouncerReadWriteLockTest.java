package io.github.dlock.postgres;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.ReadWriteLockConformance;

class PgBouncerReadWriteLockTest extends ReadWriteLockConformance {
    @Override
    protected ConformanceBackend backend() {
        return PgBouncerBackend.INSTANCE;
    }
}
