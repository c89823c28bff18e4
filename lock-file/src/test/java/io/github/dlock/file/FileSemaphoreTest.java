package io.github.dlock.file;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.SemaphoreConformance;

class FileSemaphoreTest extends SemaphoreConformance {
    @Override
    protected ConformanceBackend backend() {
        return FileBackend.INSTANCE;
    }
}
