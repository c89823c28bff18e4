package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Redlock calls return once a majority answered; the rest finish in the background. Those
 * stragglers must not pile up: callers that go on at the pace of the two fastest servers used
 * to leave the third one's calls queued for its connections, one thread each, until thousands
 * of threads (4,140 in a benchmark at 8 threads) fought over two cores and throughput collapsed
 * to a tenth of the floor. The bound asserted here is a count of threads, not a timing.
 */
class RedlockBacklogTest {
    private static final int CALLERS = 8;
    private static final int POOL = 4;
    private List<RedisServer> servers;
    private String url;

    @BeforeEach
    void startServers() throws Exception {
        servers = List.of(RedisServer.start(), RedisServer.start(), RedisServer.start());
        url = "redis://" + servers.stream().map(RedisServer::address).collect(Collectors.joining(",")) + "?lease=10s&timeout=1s&poolSize=" + POOL;
    }

    @AfterEach
    void stopServers() {
        servers.forEach(RedisServer::stop);
    }

    @Test
    void uncontendedCallersOnHealthyServers_leaveNoBacklogOfThreads() throws Exception {
        Result r = hammer(3_000);
        System.out.printf("Redlock, %d callers on healthy servers: %d acquisitions, at most %d dlock-redlock threads%n", CALLERS, r.acquired, r.peakThreads);
        assertEquals(0, r.failures, "acquisitions failed on healthy servers: " + r.firstFailure);
        assertTrue(r.peakThreads <= 3 * (POOL + CALLERS),
                "the calls' stragglers piled up: " + r.peakThreads + " dlock-redlock threads at once for " + CALLERS + " callers on 3 servers (pool " + POOL + ")");
    }

    @Test
    void uncontendedCallersWithOneServerStalled_leaveNoBacklogOfThreads() throws Exception {
        servers.get(2).pause();
        try {
            Result r = hammer(3_000);
            System.out.printf("Redlock, %d callers, one server SIGSTOPped: %d acquisitions, at most %d dlock-redlock threads%n", CALLERS, r.acquired, r.peakThreads);
            assertEquals(0, r.failures, "acquisitions failed with only a minority stalled: " + r.firstFailure);
            assertTrue(r.acquired > 0, "nothing was acquired with only a minority stalled");
            assertTrue(r.peakThreads <= 3 * (POOL + CALLERS),
                    "calls to the stalled server piled up: " + r.peakThreads + " dlock-redlock threads at once for " + CALLERS + " callers (pool " + POOL + ")");
        } finally {
            servers.get(2).resume();
        }
    }

    private record Result(long acquired, int failures, Throwable firstFailure, int peakThreads) {}

    private Result hammer(long millis) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong acquired = new AtomicLong();
        AtomicInteger failures = new AtomicInteger();
        Throwable[] first = {null};
        int peak = 0;
        try (LockProvider locks = LockProvider.open(url)) {
            List<Thread> callers = new ArrayList<>();
            for (int i = 0; i < CALLERS; i++) {
                var lock = locks.lock("backlog-" + UUID.randomUUID());
                Thread t = new Thread(() -> {
                    while (!stop.get()) {
                        try {
                            lock.acquire().release();
                            acquired.incrementAndGet();
                        } catch (Throwable e) {
                            if (failures.getAndIncrement() == 0) first[0] = e;
                        }
                    }
                });
                t.start();
                callers.add(t);
            }
            long end = System.currentTimeMillis() + millis;
            while (System.currentTimeMillis() < end) {
                peak = Math.max(peak, redlockThreads());
                Thread.sleep(20);
            }
            stop.set(true);
            for (Thread t : callers) t.join(10_000);
        }
        return new Result(acquired.get(), failures.get(), first[0], peak);
    }

    private static int redlockThreads() {
        int n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith("dlock-redlock")) n++;
        }
        return n;
    }
}
