package io.github.dlock.postgres;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.MutexConformance;

class PostgresMutexTest extends MutexConformance {
    @Override
    protected ConformanceBackend backend() {
        return PostgresBackend.INSTANCE;
    }
}
