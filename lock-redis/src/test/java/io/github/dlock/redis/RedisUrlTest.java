package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockProvider;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** URL forms and builder checks; none of these contact a server. */
class RedisUrlTest {

    @Test
    void urls_withServersCredentialsDatabaseAndOptions_open() {
        for (String url : new String[] {"redis://127.0.0.1", "redis://127.0.0.1:6379/0", "redis://:secret@127.0.0.1:6379",
                "redis://user:secret@127.0.0.1:6379/2?lease=10s&prefix=app&owner=svc-1&poolSize=4&timeout=1s&renew=false",
                "redis://127.0.0.1:6380,127.0.0.1:6381,127.0.0.1:6382?retry=fixed:20ms&maxAttempts=5", "redis://[::1]:6379",
                "rediss://127.0.0.1:6379"}) {
            try (LockProvider p = LockProvider.open(url)) {
                assertTrue(p instanceof RedisLockProvider, url);
                assertFalse(p.toString().contains("secret"), p.toString());
            }
        }
    }

    @Test
    void badUrls_failWithClearMessages_thatNeverShowThePassword() {
        assertMessage("bad port 'abc'", () -> LockProvider.open("redis://:pw-123@127.0.0.1:abc"));
        assertMessage("[1, 65535]", () -> LockProvider.open("redis://127.0.0.1:70000"));
        assertMessage("missing host", () -> LockProvider.open("redis://:6379"));
        assertMessage("needs a host", () -> LockProvider.open("redis:///0"));
        assertMessage("database number", () -> LockProvider.open("redis://127.0.0.1/zero"));
        assertMessage("unknown option [leese]", () -> LockProvider.open("redis://127.0.0.1?leese=5s"));
        assertMessage("known options: [lease", () -> LockProvider.open("redis://127.0.0.1?leese=5s"));
        assertMessage("odd number of servers", () -> LockProvider.open("redis://127.0.0.1:1,127.0.0.1:2"));
        assertMessage("given twice", () -> LockProvider.open("redis://127.0.0.1:1,127.0.0.1:1,127.0.0.1:3"));
        assertMessage("lease must be at least 100ms", () -> LockProvider.open("redis://127.0.0.1?lease=5ms"));
        assertMessage("prefix", () -> LockProvider.open("redis://127.0.0.1?prefix=bad{prefix}"));
        assertMessage("renew must be true or false", () -> LockProvider.open("redis://127.0.0.1?renew=maybe"));
        assertMessage("option lease", () -> LockProvider.open("redis://127.0.0.1?lease=soon"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LockProvider.open("redis://u:pw-123@127.0.0.1:abc"));
        assertFalse(e.getMessage().contains("pw-123"), e.getMessage());
    }

    @Test
    void builder_failsFastWithPreciseMessages() {
        assertThrows(IllegalStateException.class, () -> RedisLockProvider.builder().build());
        assertThrows(IllegalArgumentException.class, () -> RedisLockProvider.builder().server("h", 0));
        assertThrows(IllegalArgumentException.class, () -> RedisLockProvider.builder().server(" ", 6379));
        assertThrows(NullPointerException.class, () -> RedisLockProvider.builder().server(null, 6379));
        assertThrows(IllegalArgumentException.class, () -> RedisLockProvider.builder().lease(Duration.ZERO));
        assertThrows(IllegalStateException.class, () -> RedisLockProvider.builder().lease(Duration.ofSeconds(1)).lease(Duration.ofSeconds(2)));
        assertThrows(IllegalArgumentException.class, () -> RedisLockProvider.builder().poolSize(0));
        assertThrows(IllegalArgumentException.class, () -> RedisLockProvider.builder().waitForReplicas(-1, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> RedisLockProvider.builder().ownerId("two\nlines"));
    }

    private static void assertMessage(String expected, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }
}
