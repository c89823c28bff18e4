package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** The optional replica safety: acquire WAITs for replicas and fails, holding nothing, if they do not confirm. */
class RedisReplicaTest {

    @Test
    void acquire_waitsForTheConfiguredReplicas_andFailsCleanlyWhenTooFewConfirm() throws Exception {
        try (RedisServer primary = RedisServer.start();
                RedisServer replica = RedisServer.start("--replicaof", "127.0.0.1", Integer.toString(primary.port()))) {
            awaitReplicaLink(primary);
            try (LockProvider one = LockProvider.open("redis://" + primary.address() + "?replicas=1&replicaTimeout=2s")) {
                try (LockHandle h = one.lock("replicated").acquire()) {
                    try (Jedis r = replica.client()) {
                        assertTrue(r.exists("dlock:{replicated}"), "the replica must have the lock once acquire returns");
                    }
                }
            }
            try (LockProvider two = LockProvider.open("redis://" + primary.address() + "?replicas=2&replicaTimeout=300ms")) {
                LockBackendException e = assertThrows(LockBackendException.class, () -> two.lock("under-replicated").tryAcquire());
                assertTrue(e.getMessage().contains("1 of 2 required replicas"), e.getMessage());
            }
            try (Jedis p = primary.client()) {
                org.junit.jupiter.api.Assertions.assertFalse(p.exists("dlock:{under-replicated}"), "a failed acquire left its hold behind");
            }
        }
    }

    private static void awaitReplicaLink(RedisServer primary) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try (Jedis p = primary.client()) {
                if (p.info("replication").contains("connected_slaves:1") && p.waitReplicas(1, 100) == 1) return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("replica did not connect");
    }
}
