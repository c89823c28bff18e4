package io.github.dlock.postgres;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.MutexConformance;

class PgBouncerMutexTest extends MutexConformance {
    @Override
    protected ConformanceBackend backend() {
        return PgBouncerBackend.INSTANCE;
    }
}
