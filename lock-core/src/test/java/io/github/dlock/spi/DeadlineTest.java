package io.github.dlock.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.internal.WakeSignal;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;

class DeadlineTest {

    @Test
    void remainingTime_followsTheTicker_andNeverGoesNegative() {
        long[] now = {1_000};
        Deadline d = Deadline.after(Duration.ofNanos(500), () -> now[0]);
        assertEquals(500, d.remainingNanos());
        now[0] += 200;
        assertEquals(300, d.remainingNanos());
        now[0] += 10_000;
        assertEquals(0, d.remainingNanos());
        assertTrue(d.hasExpired());
    }

    @Test
    void hugeTimeouts_meanNoDeadline_andZeroMeansOneAttempt() {
        Deadline forever = Deadline.after(ChronoUnit.FOREVER.getDuration(), Ticker.system());
        assertTrue(forever.isUnbounded());
        assertEquals(Long.MAX_VALUE, forever.remainingNanos());
        assertTrue(Deadline.after(Duration.ZERO, Ticker.system()).isImmediate());
        assertFalse(Deadline.none(Ticker.system()).hasExpired());
        assertThrows(IllegalArgumentException.class, () -> Deadline.after(Duration.ofSeconds(-1), Ticker.system()));
    }

    @Test
    void wakeSignal_sentBetweenAttemptAndWait_isNotMissed() throws InterruptedException {
        WakeSignal signal = new WakeSignal();
        long seen = signal.generation();
        signal.signalAll();
        long start = System.nanoTime();
        signal.awaitChange(seen, Duration.ofMinutes(5).toNanos());
        assertTrue(System.nanoTime() - start < Duration.ofMinutes(1).toNanos());
    }
}
