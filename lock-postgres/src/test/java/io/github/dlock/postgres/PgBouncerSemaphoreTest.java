package io.github.dlock.postgres;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.SemaphoreConformance;

class PgBouncerSemaphoreTest extends SemaphoreConformance {
    @Override
    protected ConformanceBackend backend() {
        return PgBouncerBackend.INSTANCE;
    }
}
