package io.github.dlock.postgres;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.NameFuzzConformance;

class PgBouncerNameFuzzTest extends NameFuzzConformance {
    @Override
    protected ConformanceBackend backend() {
        return PgBouncerBackend.INSTANCE;
    }

    /** Each held lock is an open transaction on a connection of its own (pool of 10), and the read lock and permit need two more. */
    @Override
    protected int maxHeldAtOnce() {
        return 6;
    }
}
