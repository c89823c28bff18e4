package io.github.dlock.micrometer;

import static io.github.dlock.micrometer.Meters.assertCount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link DlockMetrics} on Redis: the server {@code TestServers} resolves for acquires,
 * holds and renewal round trips; a {@code redis-server} of the test's own, stopped under a held
 * lock, for renewal failures and the loss.
 */
class DlockMetricsRedisTest {

    private static String baseUrl() {
        return io.github.dlock.testkit.TestServers.redisUrl();
    }

    private static String withOptions(String base, String options) {
        return base + (base.contains("?") ? "&" : "?") + options;
    }

    @Test
    void acquiresHoldsAndRenewals_onTheSharedServer() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        String prefix = "dlock-mm-" + UUID.randomUUID();
        try (LockProvider locks = LockProvider.open(withOptions(baseUrl(), "lease=1s&prefix=" + prefix));
                DlockMetrics metrics = new DlockMetrics(locks)) {
            metrics.bindTo(registry);
            Meters m = new Meters(registry, "redis");
            DistributedLock mutex = locks.lock("m");
            LockHandle h = mutex.acquire(Duration.ofSeconds(5));
            assertTrue(mutex.tryAcquire().isEmpty());
            assertCount(1, m.heldLocks(), "one lock held");
            // Renewed every lease/3 (333 ms), one round trip per round on one server.
            Meters.await(() -> m.renewalRoundTrips() >= 3, "three renewal round trips");
            assertTrue(h.remainingLease().orElseThrow().compareTo(Duration.ZERO) > 0);
            h.release();
            LockHandle w = locks.readWriteLock("rw").writeLock().acquire(Duration.ofSeconds(5));
            assertTrue(locks.readWriteLock("rw").readLock().tryAcquire(Duration.ofMillis(50)).isEmpty());
            w.release();
            locks.semaphore("s", 3).acquire(Duration.ofSeconds(5)).release();
            assertCount(0, m.heldLocks(), "all released");

            assertEquals(1, m.acquires("mutex", "acquired"));
            assertEquals(1, m.acquires("mutex", "empty"));
            assertEquals(1, m.acquires("write", "acquired"));
            assertEquals(1, m.acquires("read", "timeout"));
            assertEquals(1, m.acquires("permit", "acquired"));
            assertEquals(5, m.allAcquires());
            assertEquals(1, m.releases("mutex"));
            assertEquals(1, m.releases("write"));
            assertEquals(1, m.releases("permit"));
            assertCount(0, m.renewalFailures(), "the server answered every renewal");
            assertCount(0, m.lost("mutex"), "nothing lost");
        }
    }

    @Test
    void aServerThatStops_failsRenewals_andTheLockIsCountedLost() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (OwnRedis server = OwnRedis.start();
                LockProvider locks = LockProvider.open("redis://" + server.address() + "?lease=2s&timeout=500ms");
                DlockMetrics metrics = new DlockMetrics(locks)) {
            metrics.bindTo(registry);
            Meters m = new Meters(registry, "redis");
            LockHandle h = locks.lock("doomed").acquire(Duration.ofSeconds(5));
            Meters.await(() -> m.renewalRoundTrips() >= 1, "a renewal round trip");
            assertCount(0, m.renewalFailures(), "renewed while the server runs");
            server.stop();
            // Rounds run every 667 ms; the lock is lost 1.978 s after its last renewal was sent,
            // so at least two rounds fail first.
            Meters.await(() -> m.lost("mutex") == 1, "the lock to be counted lost");
            assertTrue(h.isLost());
            assertTrue(m.renewalFailures() >= 1, "renewal failures: " + m.renewalFailures());
            h.release(); // a lost lock's release succeeds without the server
            assertEquals(1, m.releases("mutex"));
            assertCount(0, m.heldLocks(), "released");
        }
    }

    /** A {@code redis-server} of this test's own, on a free loopback port, persisting nothing, stopped by PID. */
    static final class OwnRedis implements AutoCloseable {
        private final int port;
        private final Process process;

        private OwnRedis(int port, Process process) {
            this.port = port;
            this.process = process;
        }

        static OwnRedis start() throws IOException, InterruptedException {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Path dir = Files.createTempDirectory("dlock-mm-redis-");
            Process process = new ProcessBuilder(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no", "--loglevel", "warning"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start();
            OwnRedis server = new OwnRedis(port, process);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (!server.answersPing()) {
                if (!process.isAlive()) throw new IOException("redis-server exited: " + Files.readString(dir.resolve("server.log")));
                if (System.nanoTime() - deadline > 0) {
                    server.stop();
                    throw new IOException("redis-server on port " + port + " did not answer within 15 s");
                }
                Thread.sleep(20);
            }
            return server;
        }

        private boolean answersPing() {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(1000);
                OutputStream out = s.getOutputStream();
                out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                byte[] reply = new byte[5];
                return in.readNBytes(reply, 0, 5) == 5 && new String(reply, StandardCharsets.US_ASCII).equals("+PONG");
            } catch (IOException notYet) {
                return false;
            }
        }

        String address() {
            return "127.0.0.1:" + port;
        }

        /** SIGTERM to its PID; waits for it to exit. */
        void stop() throws InterruptedException {
            if (!process.isAlive()) return;
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }
}
