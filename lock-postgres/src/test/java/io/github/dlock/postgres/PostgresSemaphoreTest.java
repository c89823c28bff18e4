package io.github.dlock.postgres;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.SemaphoreConformance;

class PostgresSemaphoreTest extends SemaphoreConformance {
    @Override
    protected ConformanceBackend backend() {
        return PostgresBackend.INSTANCE;
    }
}
