package io.github.dlock.file;

import io.github.dlock.LockHolder;
import io.github.dlock.LockMode;
import io.github.dlock.internal.OwnerIds;
import java.time.Instant;

/**
 * The text of one holder record in a lock file: {@code dlock1 TAB owner TAB host TAB pid TAB
 * since-epoch-millis TAB mode LF}. Owner ids contain no control characters, so tabs are safe
 * separators.
 */
final class HolderRecord {
    private static final String MAGIC = "dlock1";

    private HolderRecord() {}

    static String format(String ownerId, LockMode mode, Instant since) {
        return MAGIC + '\t' + ownerId + '\t' + OwnerIds.localHost() + '\t' + OwnerIds.pid() + '\t' + since.toEpochMilli()
                + '\t' + mode.name() + '\n';
    }

    /** The holder in {@code text}, or {@code null} for an empty or unreadable record. */
    static LockHolder parse(String text) {
        int end = text.indexOf('\n');
        if (!text.startsWith(MAGIC + '\t') || end < 0) return null;
        String[] f = text.substring(0, end).split("\t", -1);
        if (f.length != 6) return null;
        try {
            return LockHolder.builder(f[1], LockMode.valueOf(f[5]))
                    .host(f[2])
                    .pid(Long.parseLong(f[3]))
                    .since(Instant.ofEpochMilli(Long.parseLong(f[4])))
                    .build();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
