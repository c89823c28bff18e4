package io.github.dlock.file;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.MutexConformance;

class FileMutexTest extends MutexConformance {
    @Override
    protected ConformanceBackend backend() {
        return FileBackend.INSTANCE;
    }
}
