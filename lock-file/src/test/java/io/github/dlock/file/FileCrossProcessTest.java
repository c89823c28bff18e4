package io.github.dlock.file;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.CrossProcessConformance;

class FileCrossProcessTest extends CrossProcessConformance {
    @Override
    protected ConformanceBackend backend() {
        return FileBackend.INSTANCE;
    }
}
