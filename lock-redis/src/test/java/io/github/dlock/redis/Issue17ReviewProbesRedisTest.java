package io.github.dlock.redis;

import static io.github.dlock.redis.Issue14SecondReviewProbesTest.describe;
import static io.github.dlock.redis.Issue14SecondReviewProbesTest.mutexChannel;
import static io.github.dlock.redis.Issue14SecondReviewProbesTest.tcli;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.RetryStrategy;
import io.github.dlock.redis.Issue14SecondReviewProbesTest.Runner;
import io.github.dlock.testkit.RedisTopologies;
import io.github.dlock.testkit.RedisTopologies.RedisProcess;
import io.github.dlock.testkit.RedisTopologies.SentinelSet;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Review round 17 probes of the Redis subscriber heartbeat and sentinel credentials; real processes, stopped by PID. */
class Issue17ReviewProbesRedisTest {

    /** A standalone redis-server of the test's own (so it can be SIGSTOPped and its clients killed). */
    static final class OwnRedis implements AutoCloseable {
        final int port;
        final Process process;
        final Path dir;

        OwnRedis() throws Exception {
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            dir = Files.createTempDirectory("dlock-r17-");
            process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", dir.toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("log").toFile()).start();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (!tcli(port, 1000, "PING").trim().equals("PONG")) {
                if (System.nanoTime() > end) throw new AssertionError("redis-server did not start");
                Thread.sleep(20);
            }
        }

        void signal(String sig) throws Exception {
            new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).start().waitFor();
        }

        int numsub(String channel) {
            String[] reply = tcli(port, 2000, "PUBSUB", "NUMSUB", channel).trim().split("\\s+");
            return reply.length == 2 && reply[1].matches("[0-9]+") ? Integer.parseInt(reply[1]) : -1;
        }

        @Override
        public void close() throws Exception {
            signal("CONT");
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
        }
    }

    private static LockProvider standalone(int port, String prefix, Duration timeout) {
        return RedisLockProvider.builder().server("127.0.0.1", port).prefix(prefix).timeout(timeout).lease(Duration.ofSeconds(60))
                .retryStrategy(RetryStrategy.fixed(Duration.ofSeconds(60))).build();
    }

    /**
     * The subscriber's reconnect backoff is reset only when {@code subscribe} returns normally,
     * which never happens (the read loop always ends with an exception: a dropped connection,
     * or the heartbeat's forced disconnect). So it doubles on every reconnect over the
     * provider's life: after a handful of disconnects, however far apart and however healthy
     * the connection was in between, every reconnect waits 2 s before re-subscribing.
     */
    @Test
    @Timeout(120)
    void subscriberBackoff_isNeverResetAfterAHealthyConnection() throws Exception {
        try (OwnRedis redis = new OwnRedis(); LockProvider holder = standalone(redis.port, "r17b", Duration.ofSeconds(2));
                LockProvider waiting = standalone(redis.port, "r17b", Duration.ofSeconds(2))) {
            LockHandle held = holder.lock("m").tryAcquire().orElseThrow();
            Runner waiter = new Runner("r17b-waiter", () -> waiting.lock("m").tryAcquire(Duration.ofSeconds(100)));
            String channel = mutexChannel("r17b", "m");
            awaitNumsub(redis, channel, 10_000);
            List<Long> resubscribedMs = new ArrayList<>();
            for (int kill = 0; kill < 8; kill++) {
                Thread.sleep(1500); // a healthy, long-lived connection between the drops
                long t0 = System.nanoTime();
                tcli(redis.port, 2000, "CLIENT", "KILL", "TYPE", "pubsub");
                while (redis.numsub(channel) > 0 && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5)) Thread.sleep(2);
                awaitNumsub(redis, channel, 10_000);
                resubscribedMs.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            }
            System.out.println("probe: re-subscription delay after each dropped subscriber connection (ms): " + resubscribedMs);
            held.release();
            assertTrue(waiter.await(10_000), "waiter not granted");
            ((Optional<?>) waiter.outcome).ifPresent(h -> ((LockHandle) h).release());
            assertTrue(resubscribedMs.get(resubscribedMs.size() - 1) < 1000,
                    "the 8th drop of a connection that had been healthy for 1.5 s took " + resubscribedMs.get(resubscribedMs.size() - 1)
                            + " ms to re-subscribe (backoff never reset): " + resubscribedMs);
        }
    }

    private static void awaitNumsub(OwnRedis redis, String channel, long ms) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (redis.numsub(channel) < 1) {
            if (System.nanoTime() > end) fail("no subscriber on " + channel);
            Thread.sleep(2);
        }
    }

    /**
     * close() while the server is stalled and the heartbeat has already torn the subscriber
     * down (its read loop is reconnecting into the stalled server): close must return promptly
     * and leave no dlock thread behind.
     */
    @Test
    @Timeout(120)
    void closeWhileTheHeartbeatReconnectsIntoAStalledServer_returnsPromptly_noThreadsLeft() throws Exception {
        try (OwnRedis redis = new OwnRedis()) {
            java.util.Set<Thread> before = Issue14SecondReviewProbesTest.relevantThreads();
            LockProvider holder = standalone(redis.port, "r17c", Duration.ofMillis(500));
            LockProvider waiting = standalone(redis.port, "r17c", Duration.ofMillis(500));
            LockHandle held = holder.lock("m").tryAcquire().orElseThrow();
            Runner waiter = new Runner("r17c-waiter", () -> waiting.lock("m").tryAcquire(Duration.ofSeconds(100)));
            awaitNumsub(redis, mutexChannel("r17c", "m"), 10_000);
            redis.signal("STOP");
            try {
                Thread.sleep(3_300); // heartbeat: silent > 1 s + 500 ms -> disconnect; reconnect attempts into the stalled server
                long t0 = System.nanoTime();
                waiting.close();
                long closeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                System.out.println("probe: close() during heartbeat reconnect took " + closeMs + " ms; waiter: "
                        + (waiter.await(5000) ? describe(waiter.outcome) : "still waiting"));
                assertTrue(closeMs < 3000, "close() took " + closeMs + " ms");
            } finally {
                redis.signal("CONT");
            }
            held.release();
            holder.close();
            Issue14SecondReviewProbesTest.assertNoNewThreads(before, 8000);
        }
    }

    /**
     * Passwords must never appear in exception messages. The URL-redaction covers well-formed
     * user-info and {@code ...password=} options, but not: a password with an unencoded
     * {@code /}, {@code #} or {@code ?} (the authority ends there, so the '@' is not seen);
     * an option value containing {@code ;} (the masking stops at ';', but the query is split
     * only at '&', so ';' is part of the password); an option name spelt with %-escapes
     * ({@code sentinel%50assword}), which the loader decodes and accepts but the masking does
     * not recognise.
     */
    @Test
    void passwordsNeverAppearInUrlErrors() {
        List<String[]> cases = List.of( // {url, secret part that must not be shown}
                new String[] {"redis://user:s3cr/etPW@127.0.0.1:6379", "etPW"},
                new String[] {"redis://user:s3cr#etPW@127.0.0.1:6379", "etPW"},
                new String[] {"redis://user:s3cr?etPW@127.0.0.1:6379", "etPW"},
                new String[] {"redis://:s3cr/etPW@127.0.0.1:6379", "s3cr"},
                new String[] {"redis://127.0.0.1:6379?sentinelPassword=s3cr;etPW", "etPW"},
                new String[] {"redis://127.0.0.1:6379?sentinel%50assword=s3cretPW", "s3cretPW"},
                new String[] {"redis-sentinel://127.0.0.1:26379?sentinelPassword=s3cretPW&timeout=0s#m", "s3cretPW"},
                new String[] {"redis-sentinel://127.0.0.1:26379?sentinel%50assword=s3cretPW&sentinelUser=%20#m", "s3cretPW"},
                new String[] {"redis-cluster://127.0.0.1:1?sentinelPassword=s3cretPW", "s3cretPW"});
        List<String> leaks = new ArrayList<>();
        for (String[] c : cases) {
            try (LockProvider p = LockProvider.open(c[0])) {
                leaks.add(c[0] + " -> opened?!");
            } catch (RuntimeException e) {
                StringBuilder all = new StringBuilder();
                for (Throwable t = e; t != null; t = t.getCause()) all.append(t).append(" | ");
                System.out.println("probe: " + c[0] + " -> " + all);
                if (all.toString().contains(c[1])) leaks.add(c[0] + " -> " + all);
            }
        }
        assertTrue(leaks.isEmpty(), "secrets shown in exceptions:\n" + String.join("\n", leaks));
    }

    /**
     * Sentinels that require a password: the provider must still follow a failover away from a
     * stalled master (Jedis's +switch-master listener must authenticate too), and the heartbeat
     * must move the subscriber so the waiter is woken by the release on the new master.
     */
    @Test
    @Timeout(180)
    void passwordSentinels_failoverFromAStalledMaster_waiterWokenByRelease() throws Exception {
        SentinelSet set = RedisTopologies.startSentinelSet("sentinelPW17");
        RedisProcess old = set.master();
        String[] sentinels = set.sentinels().stream().map(RedisProcess::address).toArray(String[]::new);
        try (LockProvider holder = sentinelProvider(sentinels, "r17s"); LockProvider waiting = sentinelProvider(sentinels, "r17s")) {
            LockHandle held = holder.lock("m").tryAcquire().orElseThrow();
            try (redis.clients.jedis.Jedis j = new redis.clients.jedis.Jedis("127.0.0.1", old.port())) {
                // a later write confirmed by the replica: it has the holder's key too (replication is in
                // order), so the failover keeps the lock held (replicas=0 may lose it: the documented window)
                j.set("r17s:sync", "1");
                assertTrue(j.waitReplicas(1, 5_000) >= 1, "the replica did not confirm");
            }
            Runner waiter = new Runner("r17s-waiter", () -> waiting.lock("m").tryAcquire(Duration.ofSeconds(120)));
            Issue14SecondReviewProbesTest.awaitNumsub(old, mutexChannel("r17s", "m"), 1, 10);
            old.pause();
            try {
                RedisProcess now = set.awaitNewMaster(old, 60);
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (true) { // the holder follows the failover
                    try {
                        Optional<LockHandle> h = holder.lock("probe").tryAcquire();
                        if (h.isPresent()) {
                            h.get().release();
                            break;
                        }
                    } catch (RuntimeException e) {
                        if (System.nanoTime() > end) throw new AssertionError("holder never reached the new master " + now.address(), e);
                    }
                    Thread.sleep(200);
                }
                assertTrue(!waiter.isDone(), "waiter ended early: " + describe(waiter.outcome));
                long released = System.nanoTime();
                held.release();
                boolean done = waiter.await(15_000);
                long tookMs = TimeUnit.NANOSECONDS.toMillis((done ? waiter.endedAt : System.nanoTime()) - released);
                System.out.println("probe: password sentinels, waiter " + (done ? describe(waiter.outcome) : "still waiting") + " " + tookMs + " ms after release");
                assertTrue(done && tookMs < 10_000, "waiter not woken within 10 s (retry timer 60 s): " + tookMs + " ms");
                Optional<?> granted = assertInstanceOf(Optional.class, waiter.outcome);
                assertTrue(granted.isPresent());
                ((LockHandle) granted.get()).release();
            } finally {
                old.resume();
            }
        } finally {
            set.sentinels().forEach(RedisProcess::kill);
            set.servers().forEach(RedisProcess::kill);
        }
    }

    private static LockProvider sentinelProvider(String[] sentinels, String prefix) {
        return RedisLockProvider.builder().sentinels(sentinels).masterName(SentinelSet.MASTER_NAME).sentinelCredentials(null, "sentinelPW17")
                .prefix(prefix).lease(Duration.ofSeconds(60)).retryStrategy(RetryStrategy.fixed(Duration.ofSeconds(60))).build();
    }
}
