package io.github.dlock.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ArgumentsTest {

    @Test
    void redactUrl_masksUserInfoAndPasswordParameters() {
        assertEquals("redis://user:***@host:6379/0", Arguments.redactUrl("redis://user:pa:ss@host:6379/0"));
        assertEquals("redis://***@host", Arguments.redactUrl("redis://token@host"));
        assertEquals("postgresql://host/db?user=a&password=***", Arguments.redactUrl("postgresql://host/db?user=a&password=xyz"));
        assertEquals("redis://h1:***@b", Arguments.redactUrl("redis://h1:1,h2:2/0?x=a@b")); // an '@' anywhere may end a password: masked to it
        assertEquals("redis://user:***@127.0.0.1:6379", Arguments.redactUrl("redis://user:s3cr/etPW@127.0.0.1:6379"));
        assertEquals("redis://h?sentinelPassword=***", Arguments.redactUrl("redis://h?sentinelPassword=s3cr;etPW"));
        assertEquals("redis://h?sentinel%50assword=***&x=1#m", Arguments.redactUrl("redis://h?sentinel%50assword=s3cret&x=1#m"));
        assertEquals("redis-sentinel://s1,s2?lease=5s&sentinelPassword=***#mymaster",
                Arguments.redactUrl("redis-sentinel://s1,s2?lease=5s&sentinelPassword=hunter2#mymaster"));
        assertEquals("file:///tmp/x", Arguments.redactUrl("file:///tmp/x"));
    }

    @Test
    void names_areCheckedForNullBlankLengthAndSurrogates() {
        assertEquals("ok", Arguments.requireName("ok", "name"));
        assertEquals("\uD83D\uDD12", Arguments.requireName("\uD83D\uDD12", "name"));
        assertThrows(NullPointerException.class, () -> Arguments.requireName(null, "name"));
        assertThrows(IllegalArgumentException.class, () -> Arguments.requireName(" ", "name"));
        assertThrows(IllegalArgumentException.class, () -> Arguments.requireName("x".repeat(Arguments.MAX_NAME_LENGTH + 1), "name"));
        assertThrows(IllegalArgumentException.class, () -> Arguments.requireName("\uDD12\uD83D", "name"));
    }

    @Test
    void durations_andCounts_mustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> Arguments.requirePositive(Duration.ZERO, "lease"));
        assertThrows(IllegalArgumentException.class, () -> Arguments.requireNonNegative(Duration.ofNanos(-1), "timeout"));
        assertThrows(IllegalArgumentException.class, () -> Arguments.requirePositive(0, "permits"));
    }
}
