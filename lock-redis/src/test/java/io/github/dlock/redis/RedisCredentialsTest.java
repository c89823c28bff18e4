package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A server with {@code requirepass} and an ACL user: credentials in the URL work (commands,
 * pub/sub wake-ups, renewal), missing or wrong ones fail clearly, and the passwords never
 * appear in exception messages, {@code toString()} or the log (captured from standard error,
 * where slf4j-simple writes).
 */
class RedisCredentialsTest {
    private final String password = "pw-" + UUID.randomUUID();
    private final String alicePassword = "alice-" + UUID.randomUUID();

    @Test
    void passwordAndAclUser_work_missingOrWrongFailClearly_andNoPasswordIsEverShown() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream originalErr = System.err;
        System.setErr(new PrintStream(new Tee(originalErr, log), true, StandardCharsets.UTF_8));
        List<String> shown = new ArrayList<>();
        try (RedisServer server = RedisServer.start("--requirepass", password, "--user", "alice", "on", ">" + alicePassword, "~*", "&*", "+@all")) {
            String at = "@127.0.0.1:" + server.port();
            for (String url : List.of("redis://:" + password + at, "redis://alice:" + alicePassword + at)) {
                try (LockProvider a = LockProvider.open(url + "?prefix=cred&lease=2s"); LockProvider b = LockProvider.open(url + "?prefix=cred&lease=2s")) {
                    shown.add(a.toString());
                    LockHandle held = a.lock("guarded").acquire();
                    CompletableFuture<LockHandle> waiter = b.lock("guarded").acquireAsync(Duration.ofSeconds(20)); // woken over pub/sub
                    Thread.sleep(1_500); // past a renewal (lease 2 s, renewed every ~0.7 s): renewal authenticates too
                    held.release();
                    waiter.get(20, TimeUnit.SECONDS).release();
                    a.lock("left-held-at-close").acquire(); // close releases it and logs the provider's description
                }
            }
            for (String url : List.of("redis://127.0.0.1:" + server.port(), "redis://:wrong-" + password + at, "redis://alice:wrong" + at,
                    "redis://nobody:" + password + at)) {
                try (LockProvider p = LockProvider.open(url + "?timeout=2s")) {
                    shown.add(p.toString());
                    LockBackendException e = assertThrows(LockBackendException.class, () -> p.lock("x").tryAcquire(), url);
                    String message = messages(e);
                    shown.add(message);
                    assertTrue(message.matches("(?s).*(NOAUTH|WRONGPASS|uthentication).*"), "unclear: " + message);
                }
            }
        } finally {
            System.setErr(originalErr);
        }
        shown.add(log.toString(StandardCharsets.UTF_8));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("Released"), "expected the close log line to be captured: " + log);
        for (String text : shown) {
            assertFalse(text.contains(password) || text.contains(alicePassword), "a password was shown: " + text);
        }
    }

    /** The message of {@code e} and of its causes. */
    private static String messages(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) b.append(t).append(" / ");
        return b.toString();
    }

    /** Writes to both streams. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
