package io.github.dlock.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** RFC 3986 percent-decoding of URL user-info: '+' is a plus, not a space. */
class PercentDecodingTest {

    @Test
    void plusStaysAPlus_andPercentEscapesAreUtf8() {
        assertEquals("p+ss word", PercentDecoding.decode("p+ss%20word", "password"));
        assertEquals("a+b", PercentDecoding.decode("a+b", "password"));
        assertEquals("p@ss:wörd/€", PercentDecoding.decode("p%40ss%3Aw%C3%B6rd%2F%E2%82%AC", "password"));
        assertEquals("", PercentDecoding.decode("", "user"));
        assertEquals("plain", PercentDecoding.decode("plain", "user"));
    }

    @Test
    void malformedEscapes_areRefused_withoutShowingTheSecret() {
        for (String bad : new String[] {"secret%", "secret%4", "secret%zz", "secret%C3", "secret%FF"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PercentDecoding.decode(bad, "password"), bad);
            assertTrue(e.getMessage().contains("password"), e.getMessage());
            assertFalse(e.getMessage().contains("secret"), "the message must not show the value: " + e.getMessage());
        }
    }
}
