package io.github.dlock.postgres;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.CrossProcessConformance;

class PgBouncerCrossProcessTest extends CrossProcessConformance {
    @Override
    protected ConformanceBackend backend() {
        return PgBouncerBackend.INSTANCE;
    }
}
