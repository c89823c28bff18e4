package io.github.dlock.testkit.torture;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A store that fences writes: it remembers the highest fencing token it accepted and rejects
 * any write carrying a lower or equal one, as a storage service guarded by a distributed lock
 * should. Atomic across processes through an OS lock on its own file (not the lock under test).
 * Every accepted write is appended to {@code <file>.accepted} as {@code token worker}.
 */
final class GuardedResource {
    private GuardedResource() {}

    /** Writes on behalf of {@code worker} with {@code token}; whether it was accepted. */
    static boolean write(Path file, long token, String worker) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                java.nio.channels.FileLock ignored = ch.lock()) {
            ByteBuffer highest = ByteBuffer.allocate(8);
            while (highest.hasRemaining() && ch.read(highest, highest.position()) > 0) { /* up to 8 bytes */ }
            long seen = highest.position() == 8 ? highest.flip().getLong() : 0;
            if (token <= seen) return false;
            ch.write(ByteBuffer.allocate(8).putLong(token).flip(), 0);
            try (FileChannel log = FileChannel.open(Path.of(file + ".accepted"), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND)) {
                log.write(ByteBuffer.wrap((token + " " + worker + "\n").getBytes(StandardCharsets.UTF_8)));
            }
            return true;
        }
    }
}
