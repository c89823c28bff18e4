package io.github.dlock.postgres;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockProvider;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import io.github.dlock.testkit.LockTimings;
import java.util.Arrays;

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
            LockTimings.acquireReleaseRate(lock, roundMillis);
            for (int r = 0; r < rounds; r++) {
                raw[r] = rawRate(c, roundMillis, RAW_TRY);
                fenced[r] = rawRate(c, roundMillis, RAW_TRY_FENCED);
                ours[r] = LockTimings.acquireReleaseRate(lock, roundMillis);
            }
        }
        System.out.printf("uncontended acquire+release/s  raw JDBC (try_advisory_lock + unlock, 1 connection): %,.0f  dlock: %,.0f  ratio %.2f%n",
                LockTimings.median(raw), LockTimings.median(ours), LockTimings.median(ours) / LockTimings.median(raw));
        System.out.printf("  raw JDBC with the same fencing token (nextval in the try statement): %,.0f; dlock / that: %.2f%n",
                LockTimings.median(fenced), LockTimings.median(ours) / LockTimings.median(fenced));
        System.out.println("  per round raw:   " + Arrays.toString(Arrays.stream(raw).mapToLong(Math::round).toArray()));
        System.out.println("  per round dlock: " + Arrays.toString(Arrays.stream(ours).mapToLong(Math::round).toArray()));
        try (LockProvider a = LockProvider.open(url); LockProvider b = LockProvider.open(url)) {
            System.out.println("handoff, waiter on another provider (waits in the server): " + LockTimings.percentiles(LockTimings.handoffNanos(a.lock("handoff"), b.lock("handoff"), 1000, 5)));
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

}
