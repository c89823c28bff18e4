package io.github.dlock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryStrategyTest {
    private static final long MS = 1_000_000;

    @Test
    void absurdPauses_areRejectedNamingTheArgument_notAnArithmeticOverflow() {
        Duration huge = Duration.ofSeconds(10_000_000_000L);
        Duration twoDays = Duration.ofDays(2);
        for (Duration bad : new Duration[] {huge, twoDays}) {
            assertArgument("delay", () -> RetryStrategy.fixed(bad));
            assertArgument("max", () -> RetryStrategy.linear(Duration.ofMillis(1), Duration.ofMillis(1), bad));
            assertArgument("step", () -> RetryStrategy.linear(Duration.ofMillis(1), bad, Duration.ofSeconds(1)));
            assertArgument("max", () -> RetryStrategy.exponential(Duration.ofMillis(1), bad));
        }
        assertArgument("retry", () -> RetryStrategy.parse("fixed:10000000000s", "retry"));
        RetryStrategy.fixed(Duration.ofDays(1));
    }

    private static void assertArgument(String argument, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, call);
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains(argument), "message does not name " + argument + ": " + e.getMessage());
    }

    @Test
    void pausesBelowAMillisecond_areRejected_theyWouldSpinOnTheStore() {
        for (Duration tiny : new Duration[] {Duration.ofNanos(1), Duration.ofNanos(999_999)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RetryStrategy.fixed(tiny));
            assertTrue(e.getMessage().contains("delay") && e.getMessage().contains("at least"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> RetryStrategy.exponential(tiny, Duration.ofMillis(5)));
            assertTrue(e.getMessage().contains("initial"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> RetryStrategy.linear(tiny, Duration.ofMillis(1), Duration.ofMillis(5)));
            assertTrue(e.getMessage().contains("initial"), e.getMessage());
        }
        assertEquals(1_000_000, RetryStrategy.fixed(Duration.ofMillis(1)).delayNanos(1));
        assertEquals(1_500_000, RetryStrategy.linear(Duration.ofMillis(1), Duration.ofNanos(500_000), Duration.ofMillis(5)).delayNanos(2),
                "a step may be finer than a millisecond");
    }

    @Test
    void parse_rejectsEmptyParts_trailingOrInside() {
        for (String text : new String[] {"fixed:100ms:", "exponential:1ms:50ms:", "linear:1ms::10ms", "fixed:", ":fixed:1ms"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RetryStrategy.parse(text, "retry"), text);
            assertTrue(e.getMessage().startsWith("retry"), e.getMessage());
        }
    }

    @Test
    void fixed_andLinear_growAsDeclared() {
        RetryStrategy fixed = RetryStrategy.fixed(Duration.ofMillis(10));
        assertEquals(10 * MS, fixed.delayNanos(1));
        assertEquals(10 * MS, fixed.delayNanos(100));
        RetryStrategy linear = RetryStrategy.linear(Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(6));
        assertEquals(1 * MS, linear.delayNanos(1));
        assertEquals(3 * MS, linear.delayNanos(2));
        assertEquals(5 * MS, linear.delayNanos(3));
        assertEquals(6 * MS, linear.delayNanos(4));
        assertEquals(6 * MS, linear.delayNanos(Integer.MAX_VALUE));
    }

    @Test
    void exponential_doublesWithinJitterBounds_andCapsAtMax() {
        RetryStrategy exp = RetryStrategy.exponential(Duration.ofMillis(1), Duration.ofMillis(64));
        for (int attempt = 1; attempt <= 200; attempt++) {
            long base = Math.min(64 * MS, MS << Math.min(attempt - 1, 20));
            long d = exp.delayNanos(attempt);
            assertTrue(d >= base / 2 && d <= base, "attempt " + attempt + ": " + d + " outside [" + base / 2 + ", " + base + "]");
        }
        RetryStrategy noJitter = exp.withJitter(0);
        assertEquals(4 * MS, noJitter.delayNanos(3));
    }

    @Test
    void maxAttempts_limitsRetries() {
        RetryStrategy s = RetryStrategy.fixed(Duration.ofMillis(1)).withMaxAttempts(3);
        assertTrue(s.allowsAnotherAttempt(2));
        assertFalse(s.allowsAnotherAttempt(3));
        assertTrue(RetryStrategy.defaultStrategy().allowsAnotherAttempt(1_000_000));
    }

    @Test
    void parse_acceptsTheThreeShapes_andRejectsOthersNamingTheArgument() {
        assertEquals(5 * MS, RetryStrategy.parse("fixed:5ms", "retry").delayNanos(9));
        assertEquals(3 * MS, RetryStrategy.parse("linear:1ms:2ms:10ms", "retry").delayNanos(2));
        assertTrue(RetryStrategy.parse("exponential:1ms:50ms", "retry").delayNanos(30) <= 50 * MS);
        for (String bad : new String[] {"", "fixed", "fixed:", "fixed:-1ms", "linear:1ms", "exponential:5ms:1ms", "random:1ms"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RetryStrategy.parse(bad, "retry"));
            assertTrue(e.getMessage().startsWith("retry"), e.getMessage());
        }
    }

    @Test
    void invalidArguments_areRejected() {
        assertThrows(IllegalArgumentException.class, () -> RetryStrategy.fixed(Duration.ZERO));
        assertThrows(NullPointerException.class, () -> RetryStrategy.fixed(null));
        assertThrows(IllegalArgumentException.class, () -> RetryStrategy.exponential(Duration.ofMillis(5), Duration.ofMillis(1)));
        assertThrows(IllegalArgumentException.class, () -> RetryStrategy.defaultStrategy().withMaxAttempts(0));
        assertThrows(IllegalArgumentException.class, () -> RetryStrategy.defaultStrategy().withJitter(1.5));
    }
}
