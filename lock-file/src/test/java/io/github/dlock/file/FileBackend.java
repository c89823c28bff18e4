package io.github.dlock.file;

import io.github.dlock.LockProvider;
import io.github.dlock.testkit.ConformanceBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The file backend on one temporary directory per test JVM ({@code locks} inside a directory of its own, watched for escapes). */
final class FileBackend implements ConformanceBackend {
    static final FileBackend INSTANCE = new FileBackend();
    final Path base;
    final Path directory;

    private FileBackend() {
        try {
            base = Files.createTempDirectory("dlock-conformance").toRealPath();
            directory = Files.createDirectory(base.resolve("locks"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Everything under the base directory but the lock directory itself and its contents. */
    @Override
    public java.util.Set<String> outsideNamespace() throws IOException {
        try (java.util.stream.Stream<Path> all = Files.walk(base)) {
            return all.filter(p -> !p.equals(base) && !p.startsWith(directory)).map(Path::toString).collect(java.util.stream.Collectors.toSet());
        }
    }

    @Override
    public LockProvider openProvider() {
        return FileLockProvider.builder().directory(directory).build();
    }

    /** Deletes the lock file: the holder's lock no longer excludes anybody. */
    @Override
    public void breakLockExternally(String name, io.github.dlock.LockMode mode) throws IOException {
        String suffix = mode == io.github.dlock.LockMode.EXCLUSIVE ? FileMutex.SUFFIX
                : mode == io.github.dlock.LockMode.PERMIT ? FileSemaphore.SUFFIX : FileReadWriteLock.SUFFIX;
        Files.delete(directory.resolve(LockFileNames.encode(name) + suffix));
    }

    @Override
    public String providerUrl() {
        return directory.toUri().toString();
    }
}
