package io.github.dlock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisProtocol;

/** The same CLI on Redis (the server {@code TestServers} resolves): no code change, only the URL. */
class DlockCliRedisTest {
    @TempDir
    Path temp;
    private String base;
    private String url;
    private String prefix;

    @BeforeEach
    void setUp() {
        base = io.github.dlock.testkit.TestServers.redisUrl();
        prefix = "clitest-" + UUID.randomUUID().toString().substring(0, 8);
        url = base + (base.contains("?") ? "&" : "?") + "lease=3s&prefix=" + prefix;
        try (Jedis j = jedis()) {
            j.ping();
        } catch (RuntimeException e) {
            throw new AssertionError("Redis at " + base + " is unreachable: " + e.getMessage(), e);
        }
    }

    @Test
    void concurrentRuns_serialize_onRedis() throws Exception {
        Files.writeString(temp.resolve("counter"), "0");
        String script = "n=$(cat counter); sleep 0.2; echo $((n+1)) > counter";
        List<DlockProcess> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) runs.add(start("--url", url, "run", "job", "--", "sh", "-c", script));
        for (DlockProcess p : runs) assertEquals(0, p.finish().exit());
        assertEquals("3", Files.readString(temp.resolve("counter")).trim());
    }

    @Test
    void status_showsTheHolderWithItsLease_andTimeoutExits75() throws Exception {
        try (LockProvider p = LockProvider.open(url + "&owner=cli-test-owner"); LockHandle h = p.lock("report").acquire()) {
            DlockProcess.Result status = start("--url", url, "status", "report").finish();
            assertEquals(0, status.exit(), status.err());
            String out = status.out();
            assertTrue(out.contains("cli-test-owner") && out.contains("exclusive") && out.contains("lease"), out);
            assertEquals(ExitCodes.NOT_ACQUIRED, start("--url", url, "run", "report", "--timeout", "200ms", "--", "true").finish().exit());
        }
    }

    @Test
    void lockTakenAwayOnTheServer_terminatesTheCommand_andExits70() throws Exception {
        DlockProcess run = start("--url", url, "run", "fragile", "--", "sleep", "60");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Jedis j = jedis()) {
            while (!j.exists(prefix + ":{fragile}")) {
                assertTrue(System.nanoTime() < deadline, "dlock run never took the lock");
                Thread.sleep(50);
            }
            j.del(prefix + ":{fragile}"); // as if the lease had expired
        }
        DlockProcess.Result result = run.finish();
        assertEquals(ExitCodes.LOCK_LOST, result.exit(), result.err());
        assertTrue(result.err().contains("lost"), result.err());
    }

    @Test
    void lease_setsTheLeaseOnRedis_andStatusJsonShowsWhatIsLeft() throws Exception {
        String noLease = base + (base.contains("?") ? "&" : "?") + "prefix=" + prefix;
        DlockProcess hold = start("--url", noLease, "hold", "leased", "--lease", "2s");
        assertTrue(hold.awaitFirstLine().startsWith("held leased token="));
        try (Jedis j = jedis()) {
            long pttl = j.pttl(prefix + ":{leased}");
            assertTrue(pttl > 0 && pttl <= 2000, "PTTL " + pttl + " ms with --lease 2s");
            DlockProcess.Result status = start("--url", noLease, "status", "leased", "--json").finish();
            assertEquals(0, status.exit(), status.err());
            java.util.Map<?, ?> holder = (java.util.Map<?, ?>) ((List<?>) ((java.util.Map<?, ?>) MiniJson.parse(status.out().trim()))
                    .get("holders")).get(0);
            long left = (Long) holder.get("leaseLeftMs");
            assertTrue(left >= 0 && left <= 2000, status.out());
            assertEquals(hold.pid(), holder.get("pid"), status.out());
            hold.closeStdin();
            DlockProcess.Result r = hold.finish();
            assertEquals(0, r.exit(), r.err());
            assertTrue(!j.exists(prefix + ":{leased}"), "released");

            DlockProcess byDefault = start("--url", noLease, "hold", "leased");
            byDefault.awaitFirstLine();
            long defaultPttl = j.pttl(prefix + ":{leased}");
            assertTrue(defaultPttl > 2000, "without --lease the URL's default (30s) applies: PTTL " + defaultPttl);
            byDefault.closeStdin();
            assertEquals(0, byDefault.finish().exit());
        }
    }

    @Test
    void hold_lockTakenAwayOnTheServer_exits70() throws Exception {
        DlockProcess hold = start("--url", url, "hold", "fragile-hold");
        hold.awaitFirstLine();
        try (Jedis j = jedis()) {
            j.del(prefix + ":{fragile-hold}"); // as if the lease had expired
        }
        DlockProcess.Result r = hold.finish(); // stdin stays open: the loss alone ends it
        assertEquals(ExitCodes.LOCK_LOST, r.exit(), r.err());
        assertTrue(r.err().contains("was lost while held"), r.err());
    }

    @Test
    void badRedisUrls_exit64_andUnreachableServers_exit69() throws Exception {
        assertEquals(ExitCodes.USAGE, start("--url", "redis://127.0.0.1:notaport", "status", "x").finish().exit());
        assertEquals(ExitCodes.USAGE, start("--url", "redis://127.0.0.1?leese=1s", "status", "x").finish().exit());
        assertEquals(ExitCodes.UNAVAILABLE, start("--url", "redis://127.0.0.1:1?timeout=300ms", "run", "x", "--", "true").finish().exit());
    }

    private Jedis jedis() {
        java.net.URI u = java.net.URI.create(url);
        return new Jedis(new HostAndPort(u.getHost(), u.getPort() < 0 ? 6379 : u.getPort()),
                DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP2).build());
    }

    private DlockProcess start(String... args) throws IOException {
        return DlockProcess.start(temp, args);
    }
}
