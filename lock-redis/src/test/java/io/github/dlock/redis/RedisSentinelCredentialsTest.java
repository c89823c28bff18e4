package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.internal.Arguments;
import io.github.dlock.testkit.RedisTopologies;
import io.github.dlock.testkit.RedisTopologies.RedisProcess;
import io.github.dlock.testkit.RedisTopologies.SentinelSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Sentinels that require a password of their own ({@code requirepass} in sentinel.conf, as
 * Bitnami's chart and most managed set-ups have): the {@code sentinelPassword} option (and the
 * builder's {@code sentinelCredentials}) reach them; without it the provider fails naming the
 * sentinels' refusal; the password never shows in messages or the URL as logged.
 */
class RedisSentinelCredentialsTest {
    @Test
    void sentinelsWithAPassword_areReachedWithSentinelPassword_andRefuseWithoutIt() throws Exception {
        String password = "s3nt-" + UUID.randomUUID();
        SentinelSet set = RedisTopologies.startSentinelSet(password);
        try {
            String url = set.url("prefix=sc&sentinelPassword=" + password);
            try (LockProvider p = LockProvider.open(url)) {
                LockHandle h = p.lock("guarded").tryAcquire().orElseThrow();
                assertEquals(1, p.holders("guarded").size());
                h.release();
                assertFalse(p.toString().contains(password), p.toString());
            }
            String[] sentinels = set.sentinels().stream().map(RedisProcess::address).toArray(String[]::new);
            try (LockProvider p = RedisLockProvider.builder().sentinels(sentinels).masterName(SentinelSet.MASTER_NAME)
                    .sentinelCredentials(null, password).prefix("sc").build()) {
                p.lock("guarded").tryAcquire().orElseThrow().release();
            }
            LockBackendException refused = assertThrows(LockBackendException.class, () -> LockProvider.open(set.url("prefix=sc")).close());
            assertTrue(String.valueOf(refused.getMessage()).matches("(?s).*(NOAUTH|uthentication|WRONGPASS|no Redis sentinel).*"), refused.getMessage());
            IllegalArgumentException wrongPlace = assertThrows(IllegalArgumentException.class,
                    () -> LockProvider.open("redis://127.0.0.1:6379?sentinelPassword=" + password));
            assertFalse(wrongPlace.getMessage().contains(password), wrongPlace.getMessage());
            assertFalse(Arguments.redactUrl(url).contains(password), Arguments.redactUrl(url));
        } finally {
            set.sentinels().forEach(RedisProcess::kill);
            set.servers().forEach(RedisProcess::kill);
        }
    }
}
