package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.dlock.LockProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Many waiters on one Redlock lock: split votes (each server granting a different waiter)
 * must resolve, not stall. Liveness with a generous bound, and the time printed.
 */
class RedlockContentionTest {
    private static final int WAITERS = 100;
    private static List<RedisServer> servers;
    private static String url;

    @BeforeAll
    static void start() throws Exception {
        servers = List.of(RedisServer.start(), RedisServer.start(), RedisServer.start());
        url = "redis://" + servers.stream().map(RedisServer::address).collect(Collectors.joining(",")) + "?lease=10s";
    }

    @AfterAll
    static void stop() {
        servers.forEach(RedisServer::stop);
    }

    @Test
    void aHundredWaitersOnAMutex_allGetIt() throws Exception {
        contend("mutex", 1);
    }

    @Test
    void aHundredWaitersOnAFivePermitSemaphore_allGetOne() throws Exception {
        contend("semaphore", 5);
    }

    private static void contend(String kind, int permits) throws Exception {
        AtomicInteger done = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(WAITERS);
        long start = System.nanoTime();
        try (LockProvider locks = LockProvider.open(url)) {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < WAITERS; i++) {
                all.add(pool.submit(() -> {
                    var lock = permits == 1 ? locks.lock("contended-" + kind) : locks.semaphore("contended-" + kind, permits);
                    lock.tryAcquire(Duration.ofSeconds(60)).ifPresent(h -> {
                        done.incrementAndGet();
                        h.release();
                    });
                    return null;
                }));
            }
            for (Future<?> f : all) f.get(90, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("Redlock %s (%d permit(s)), %d waiters: %d acquired in %.0f ms%n", kind, permits, WAITERS, done.get(),
                (System.nanoTime() - start) / 1e6);
        assertEquals(WAITERS, done.get(), "split votes stalled the waiters: only " + done.get() + " of " + WAITERS + " got it within 60 s");
    }
}
