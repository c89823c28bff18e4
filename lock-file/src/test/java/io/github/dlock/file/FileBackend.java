package io.github.dlock.file;

import io.github.dlock.LockProvider;
import io.github.dlock.testkit.ConformanceBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The file backend on one temporary directory per test JVM. */
final class FileBackend implements ConformanceBackend {
    static final FileBackend INSTANCE = new FileBackend();
    final Path directory;

    private FileBackend() {
        try {
            directory = Files.createTempDirectory("dlock-conformance").toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public LockProvider openProvider() {
        return FileLockProvider.builder().directory(directory).build();
    }

    @Override
    public String providerUrl() {
        return directory.toUri().toString();
    }
}
