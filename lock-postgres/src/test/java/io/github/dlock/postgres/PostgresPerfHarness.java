package io.github.dlock.postgres;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

/**
 * Measures, in one run, uncontended acquire+release per second of {@link PostgresLockProvider}
 * against the floor (raw JDBC {@code pg_try_advisory_lock} + {@code pg_advisory_unlock} on one
 * connection), and the handoff latency from a release to the next waiter holding the lock.
 * Not a test; run by {@code lock-postgres/perf.sh}. Arguments: {@code seconds-per-round rounds}.
 */
public final class PostgresPerfHarness {
    private PostgresPerfHarness() {}

    public static void main(String[] args) throws Exception {
        long roundMillis = (args.length > 0 ? Long.parseLong(args[0]) : 3) * 1000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        double[] raw = new double[rounds];
        double[] fenced = new double[rounds];
        double[] ours = new double[rounds];
        String url = PostgresBackend.baseUrl() + (PostgresBackend.baseUrl().contains("?") ? "&" : "?") + "prefix=perf";
        try (Connection c = PostgresBackend.jdbc(); LockProvider provider = LockProvider.open(url)) {
            DistributedLock lock = provider.lock("uncontended");
            rawRate(c, roundMillis, RAW_TRY);
            oursRate(lock, roundMillis);
            for (int r = 0; r < rounds; r++) {
                raw[r] = rawRate(c, roundMillis, RAW_TRY);
                fenced[r] = rawRate(c, roundMillis, RAW_TRY_FENCED);
                ours[r] = oursRate(lock, roundMillis);
            }
        }
        System.out.printf("uncontended acquire+release/s  raw JDBC (try_advisory_lock + unlock, 1 connection): %,.0f  dlock: %,.0f  ratio %.2f%n",
                median(raw), median(ours), median(ours) / median(raw));
        System.out.printf("  raw JDBC with the same fencing token (nextval in the try statement): %,.0f; dlock / that: %.2f%n",
                median(fenced), median(ours) / median(fenced));
        System.out.println("  per round raw:   " + Arrays.toString(Arrays.stream(raw).mapToLong(Math::round).toArray()));
        System.out.println("  per round dlock: " + Arrays.toString(Arrays.stream(ours).mapToLong(Math::round).toArray()));
        try (LockProvider a = LockProvider.open(url); LockProvider b = LockProvider.open(url)) {
            report("handoff, waiter on another provider (waits in the server)", handoff(a.lock("handoff"), b.lock("handoff"), 1000));
        }
    }

    private static final String RAW_TRY = "SELECT pg_try_advisory_lock(?)";
    private static final String RAW_TRY_FENCED = "SELECT CASE WHEN pg_try_advisory_lock(?) THEN nextval('dlock_fence') ELSE 0 END";

    private static double rawRate(Connection c, long millis, String trySql) throws Exception {
        long end = System.nanoTime() + millis * 1_000_000;
        long n = 0;
        long start = System.nanoTime();
        try (PreparedStatement lock = c.prepareStatement(trySql);
                PreparedStatement unlock = c.prepareStatement("SELECT pg_advisory_unlock(?)")) {
            lock.setLong(1, 42_4242L);
            unlock.setLong(1, 42_4242L);
            while (System.nanoTime() < end) {
                try (ResultSet rs = lock.executeQuery()) {
                    rs.next();
                }
                try (ResultSet rs = unlock.executeQuery()) {
                    rs.next();
                }
                n++;
            }
        }
        return n * 1e9 / (System.nanoTime() - start);
    }

    private static double oursRate(DistributedLock lock, long millis) {
        long end = System.nanoTime() + millis * 1_000_000;
        long n = 0;
        long start = System.nanoTime();
        while (System.nanoTime() < end) {
            lock.tryAcquire().orElseThrow().release();
            n++;
        }
        return n * 1e9 / (System.nanoTime() - start);
    }

    private static long[] handoff(DistributedLock holderSide, DistributedLock waiterSide, int samples) throws Exception {
        long[] latencies = new long[samples];
        for (int i = 0; i < samples; i++) {
            LockHandle held = holderSide.acquire();
            CountDownLatch waiting = new CountDownLatch(1);
            long[] acquiredAt = new long[1];
            Thread waiter = new Thread(() -> {
                waiting.countDown();
                try (LockHandle h = waiterSide.acquire()) {
                    acquiredAt[0] = System.nanoTime();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            waiter.start();
            waiting.await();
            Thread.sleep(5); // let the waiter queue in the server
            long releasedAt = System.nanoTime();
            held.release();
            waiter.join();
            latencies[i] = acquiredAt[0] - releasedAt;
        }
        return latencies;
    }

    private static void report(String what, long[] latencies) {
        long[] s = latencies.clone();
        Arrays.sort(s);
        System.out.printf("%s: p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  (n=%d)%n", what, s[s.length / 2] / 1e6, s[(int) (s.length * 0.9)] / 1e6,
                s[(int) (s.length * 0.99)] / 1e6, s.length);
    }

    private static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
