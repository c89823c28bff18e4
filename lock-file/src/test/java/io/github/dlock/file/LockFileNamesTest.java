package io.github.dlock.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.testkit.HostileNames;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

class LockFileNamesTest {

    @Test
    void plainNames_stayReadable() {
        assertEquals("orders-42", LockFileNames.encode("orders-42"));
        assertEquals("a.b", LockFileNames.encode("a.b"));
        assertEquals("orders_3a42", LockFileNames.encode("orders:42"));
    }

    @Test
    void encodedNames_useOnlySafeCharacters_andNeverDotOrDotDot() {
        for (String name : names()) {
            String encoded = LockFileNames.encode(name);
            assertTrue(encoded.matches("[a-z0-9._-]+"), encoded);
            assertFalse(encoded.startsWith("."), encoded);
            assertTrue(encoded.length() <= LockFileNames.MAX_ENCODED, encoded.length() + " chars");
        }
    }

    @Test
    void distinctNames_encodeDistinctly_evenWhenShortenedOrDifferingInCase() {
        Set<String> seen = new HashSet<>();
        for (String name : names()) assertTrue(seen.add(LockFileNames.encode(name)), "collision for " + name.length() + "-char name");
        assertNotEquals(LockFileNames.encode("Case"), LockFileNames.encode("case"));
        String longA = "p".repeat(5000) + "a";
        String longB = "p".repeat(5000) + "b";
        assertNotEquals(LockFileNames.encode(longA), LockFileNames.encode(longB));
    }

    @Test
    void shortenedNames_cannotCollideWithPlainOnes() {
        String shortened = LockFileNames.encode("q".repeat(500));
        assertTrue(shortened.contains("_h"), shortened);
        // The plain encoding of the shortened text itself escapes its '_', so it differs.
        assertNotEquals(shortened, LockFileNames.encode(shortened));
    }

    @Test
    void shortening_neverSplitsAnEscape() {
        for (int pad = 0; pad < 4; pad++) {
            String encoded = LockFileNames.encode("a".repeat(60 + pad) + "::::::::::::::::::::::::::::::::::::::::::::");
            String prefix = encoded.substring(0, encoded.indexOf("_h"));
            assertTrue(prefix.matches("([a-z0-9.-]|_[0-9a-f]{2})*"), prefix);
        }
    }

    private static List<String> names() {
        List<String> names = new java.util.ArrayList<>(List.of("a", "A", "_", "_5f", "%", "..", ".", "...", ".hidden", "-"));
        names.addAll(HostileNames.all());
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = 0; i < 2000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = 1 + r.nextInt(i % 10 == 0 ? 300 : 12);
            while (sb.length() < len) sb.appendCodePoint(r.nextInt(4) == 0 ? r.nextInt(0x20, 0x2FFF) : r.nextInt(0x20, 0x7f));
            names.add(sb.toString());
        }
        return new java.util.ArrayList<>(new java.util.LinkedHashSet<>(names));
    }
}
