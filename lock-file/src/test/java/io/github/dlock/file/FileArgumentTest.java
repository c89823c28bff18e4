package io.github.dlock.file;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.ArgumentConformance;

class FileArgumentTest extends ArgumentConformance {
    @Override
    protected ConformanceBackend backend() {
        return FileBackend.INSTANCE;
    }
}
