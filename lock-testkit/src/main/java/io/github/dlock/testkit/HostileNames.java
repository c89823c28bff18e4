package io.github.dlock.testkit;

import java.util.List;

/**
 * Lock names that are hostile to file systems, Redis and SQL: path traversal, separators,
 * NUL, very long, emoji, case variants, glob characters, quotes. Every backend must treat
 * each as a lock of its own.
 */
public final class HostileNames {
    private HostileNames() {}

    /**
     * Every hostile name, each distinct from the others (the case and normalization variants
     * included).
     *
     * @return an immutable list of the names
     */
    public static List<String> all() {
        return List.of("../../etc/passwd", "/abs", "a\\b", "a/b", "nul\u0000byte", "x".repeat(10_000), "y".repeat(10_000) + "z",
                "emoji \uD83D\uDD12 lock", "Case", "case", "CASE", ".", "..", "...", "*?[]", "' OR 1=1 --", "\"; DROP TABLE x; --",
                "dlock:{x}", "with space", "tab\tand\nnewline", "%2e%2e%2f", "_41", "A", "\u00e9", "e\u0301", "con", "nul.txt");
    }
}
