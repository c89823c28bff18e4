package io.github.dlock.file;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.TortureConformance;

/** Workers killed with kill -9 on the file backend: the OS drops a dead process's locks at once. */
class FileTortureTest extends TortureConformance {
    @Override
    protected ConformanceBackend backend() {
        return FileBackend.INSTANCE;
    }
}
