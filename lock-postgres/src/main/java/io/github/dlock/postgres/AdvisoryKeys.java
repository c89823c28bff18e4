package io.github.dlock.postgres;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * PostgreSQL advisory-lock keys for lock names. A mutex or read-write lock uses one 64-bit key:
 * the first 8 bytes (big-endian) of SHA-256 over the UTF-8 of {@code prefix + "\0" + kind +
 * "\0" + name}, where kind is {@code mutex} or {@code rw} (so the two stay independent). A
 * semaphore uses PostgreSQL's two-int form {@code (hash, slot)}: the first 4 bytes of the hash
 * with kind {@code sem}, and the permit's index, which lets {@code holders} find all its
 * permits. Colliding names only share a lock; they can never break exclusion.
 */
final class AdvisoryKeys {
    private AdvisoryKeys() {}

    static long key(String prefix, String kind, String name) {
        return ByteBuffer.wrap(sha256(prefix + "\0" + kind + "\0" + name)).getLong();
    }

    static int semaphoreKey(String prefix, String name) {
        return ByteBuffer.wrap(sha256(prefix + "\0sem\0" + name)).getInt();
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required on every Java platform", e);
        }
    }
}
