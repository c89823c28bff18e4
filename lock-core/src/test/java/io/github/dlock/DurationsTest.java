package io.github.dlock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.internal.Durations;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void parsesUnitsAndIso8601() {
        assertEquals(Duration.ofMillis(250), Durations.parse("250ms", "t"));
        assertEquals(Duration.ofSeconds(30), Durations.parse("30s", "t"));
        assertEquals(Duration.ofMinutes(5), Durations.parse("5m", "t"));
        assertEquals(Duration.ofHours(2), Durations.parse("2h", "t"));
        assertEquals(Duration.ofDays(1), Durations.parse("1d", "t"));
        assertEquals(Duration.ofNanos(7000), Durations.parse("7us", "t"));
        assertEquals(Duration.ZERO, Durations.parse("0", "t"));
        assertEquals(Duration.ofSeconds(90), Durations.parse("PT1M30S", "t"));
        assertEquals(Duration.ofSeconds(90), Durations.parse(" 90 S ", "t"));
    }

    @Test
    void rejectsGarbageAndNegatives_namingTheArgument() {
        for (String bad : new String[] {"", "abc", "5", "5 parsecs", "-5s", "PT-5S", "1.5s", "99999999999999999999s"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(bad, "--timeout"));
            assertTrue(e.getMessage().startsWith("--timeout"), e.getMessage());
        }
        assertThrows(NullPointerException.class, () -> Durations.parse(null, "--timeout"));
    }
}
