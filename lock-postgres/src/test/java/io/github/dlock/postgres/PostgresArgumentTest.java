package io.github.dlock.postgres;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.ArgumentConformance;

class PostgresArgumentTest extends ArgumentConformance {
    @Override
    protected ConformanceBackend backend() {
        return PostgresBackend.INSTANCE;
    }
}
