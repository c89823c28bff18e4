package io.github.dlock.postgres;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.CrossProcessConformance;

class PostgresCrossProcessTest extends CrossProcessConformance {
    @Override
    protected ConformanceBackend backend() {
        return PostgresBackend.INSTANCE;
    }
}
