package io.github.dlock.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/**
 * Random hostile lock names through every public entry point: each call either works, with the
 * name a lock of its own, or fails with {@link IllegalArgumentException}; no other exception
 * (no SQL error, no I/O error, no Redis error), and nothing appears in the store outside the
 * provider's namespace ({@link ConformanceBackend#outsideNamespace}). The seed is printed in
 * every failure; {@code -Ddlock.fuzz.seed=N} replays it, {@code -Ddlock.fuzz.names=N} runs more.
 */
public abstract class NameFuzzConformance extends ConformanceTestBase {

    /**
     * How many locks the backend can hold at once in one provider (each costs a connection in some modes).
     *
     * @return the limit; {@link Integer#MAX_VALUE} (none) by default
     */
    protected int maxHeldAtOnce() {
        return Integer.MAX_VALUE;
    }

    private static final String[] FRAGMENTS = {"/", "\\", "..", ".", "\u0000", "*", "?", "[", "]", "{", "}", "'", "\"", ";", "--", "%",
            "%2e", ":", "\n", "\r", "\t", " ", "\uD83D\uDD12", "\u00e9", "e\u0301", "\u202e", "\uFEFF", "DROP TABLE x", "$1", "\\0", "CON", "nul"};

    @Test
    void randomHostileNames_eitherWorkAsDistinctLocks_orFailWithIllegalArgument() throws Exception {
        long seed = Long.getLong("dlock.fuzz.seed", System.nanoTime());
        int count = Integer.getInteger("dlock.fuzz.names", 200);
        Random random = new Random(seed);
        Set<String> names = new LinkedHashSet<>();
        names.add("x".repeat(64 * 1024)); // 64 KiB: over the limit, must be refused
        names.add("y".repeat(16 * 1024));
        while (names.size() < count) names.add(randomName(random));

        provider.lock("fuzz-warm-up").tryAcquire().orElseThrow().release(); // lazily created store objects exist from here on
        Set<String> outsideBefore = backend().outsideNamespace();
        List<LockHandle> held = new ArrayList<>();
        Set<String> accepted = new HashSet<>();
        int refused = 0;
        try {
            for (String name : names) {
                String where = "seed " + seed + ", name " + describe(name);
                DistributedLock lock;
                try {
                    lock = provider.lock(name);
                } catch (IllegalArgumentException e) {
                    refused++;
                    refusedEverywhere(name, where);
                    continue;
                }
                LockHandle h = call(where, () -> lock.tryAcquire().orElse(null));
                if (h == null) fail("a distinct name found its lock taken (collision?): " + where);
                held.add(h);
                accepted.add(name);
                call(where, () -> {
                    try (LockHandle r = provider.readWriteLock(name).readLock().tryAcquire().orElseThrow(() -> new AssertionError("read lock taken: " + where));
                            LockHandle p = provider.semaphore(name, 2).tryAcquire().orElseThrow(() -> new AssertionError("permit taken: " + where))) {
                        assertTrue(r.fencingToken() > 0 && p.fencingToken() > 0, where);
                    }
                    assertTrue(provider.holders(name).stream().anyMatch(x -> x.mode() == io.github.dlock.LockMode.EXCLUSIVE), "holders: " + where);
                    return null;
                });
                if (held.size() >= maxHeldAtOnce()) {
                    for (LockHandle x : held) x.release();
                    held.clear();
                }
            }
        } finally {
            for (LockHandle h : held) h.release();
        }
        for (String name : accepted) assertEquals(List.of(), provider.holders(name), "seed " + seed + ", name " + describe(name));
        Set<String> outsideAfter = new HashSet<>(backend().outsideNamespace());
        outsideAfter.removeAll(outsideBefore);
        assertEquals(Set.of(), outsideAfter, "seed " + seed + ": the fuzz created things outside the provider's namespace");
        assertTrue(accepted.size() > names.size() / 2, "seed " + seed + ": most random names should be accepted; refused " + refused);
    }

    /** A name the mutex refused must be refused by every other entry point too. */
    private void refusedEverywhere(String name, String where) {
        for (Callable<?> call : List.<Callable<?>>of(() -> provider.readWriteLock(name), () -> provider.semaphore(name, 1), () -> provider.holders(name))) {
            try {
                call.call();
                fail("accepted by one entry point but refused by lock(): " + where);
            } catch (IllegalArgumentException expected) {
                // as lock() did
            } catch (Exception e) {
                fail("wrong exception for " + where + ": " + e, e);
            }
        }
    }

    private static <T> T call(String where, Callable<T> call) {
        try {
            return call.call();
        } catch (IllegalArgumentException e) {
            throw new AssertionError("refused only after the lock object was created: " + where, e);
        } catch (AssertionError e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError("backend error instead of working or IllegalArgumentException: " + where + ": " + e, e);
        }
    }

    private static String randomName(Random random) {
        StringBuilder b = new StringBuilder();
        int parts = 1 + random.nextInt(6);
        for (int i = 0; i < parts; i++) {
            switch (random.nextInt(4)) {
                case 0 -> b.append(FRAGMENTS[random.nextInt(FRAGMENTS.length)]);
                case 1 -> b.appendCodePoint(random.nextInt(0x30000)); // any plane 0-2 code point, surrogates included
                case 2 -> b.append(Integer.toString(random.nextInt(1000), 36));
                default -> b.append((char) (0x20 + random.nextInt(0x5f)));
            }
        }
        if (random.nextInt(50) == 0) b.append("z".repeat(random.nextInt(20_000)));
        return b.toString();
    }

    private static String describe(String n) {
        StringBuilder b = new StringBuilder("\"");
        n.codePoints().limit(40).forEach(c -> b.append(c < 0x20 || c > 0x7e ? String.format("\\u{%x}", c) : Character.toString(c)));
        return b.append(n.length() > 40 ? "...\" (" + n.length() + " chars)" : "\"").toString();
    }
}
