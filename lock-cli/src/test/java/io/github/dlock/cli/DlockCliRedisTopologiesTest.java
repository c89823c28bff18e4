package io.github.dlock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.testkit.RedisTopologies;
import io.github.dlock.testkit.RedisTopologies.Cluster;
import io.github.dlock.testkit.RedisTopologies.RedisProcess;
import io.github.dlock.testkit.RedisTopologies.SentinelSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same CLI on a Redis Sentinel set and a Redis Cluster of the test's own: only the URL
 * changes ({@code redis-sentinel://...#master}, {@code redis-cluster://...}).
 */
class DlockCliRedisTopologiesTest {
    private static SentinelSet sentinels;
    private static Cluster cluster;

    @TempDir
    Path temp;

    @BeforeAll
    static void start() throws Exception {
        sentinels = RedisTopologies.startSentinelSet();
        cluster = RedisTopologies.startCluster();
    }

    @AfterAll
    static void stop() {
        if (sentinels != null) {
            sentinels.sentinels().forEach(RedisProcess::kill);
            sentinels.servers().forEach(RedisProcess::kill);
        }
        if (cluster != null) cluster.nodes().forEach(RedisProcess::kill);
    }

    @Test
    void runAndStatus_onASentinelSet() throws Exception {
        runsSerializeAndStatusShowsTheHolder(sentinels.url("lease=5s&prefix=cli"));
    }

    @Test
    void runAndStatus_onACluster() throws Exception {
        runsSerializeAndStatusShowsTheHolder(cluster.url("lease=5s&prefix=cli"));
    }

    private void runsSerializeAndStatusShowsTheHolder(String url) throws Exception {
        Files.writeString(temp.resolve("counter"), "0");
        String script = "n=$(cat counter); sleep 0.2; echo $((n+1)) > counter";
        List<DlockProcess> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) runs.add(start("--url", url, "run", "job", "--", "sh", "-c", script));
        for (DlockProcess p : runs) {
            DlockProcess.Result r = p.finish();
            assertEquals(0, r.exit(), r.err());
        }
        assertEquals("3", Files.readString(temp.resolve("counter")).trim());

        DlockProcess hold = start("--url", url, "hold", "report");
        assertTrue(hold.awaitFirstLine().startsWith("held report token="));
        DlockProcess.Result status = start("--url", url, "status", "report").finish();
        assertEquals(0, status.exit(), status.err());
        assertTrue(status.out().contains("exclusive") && status.out().contains("lease"), status.out());
        assertEquals(ExitCodes.NOT_ACQUIRED, start("--url", url, "run", "report", "--timeout", "200ms", "--", "true").finish().exit());
        hold.closeStdin();
        assertEquals(0, hold.finish().exit());
    }

    @Test
    void malformedTopologyUrls_exit64() throws Exception {
        assertEquals(ExitCodes.USAGE, start("--url", "redis-sentinel://127.0.0.1:26379", "status", "x").finish().exit()); // no #master
        assertEquals(ExitCodes.USAGE, start("--url", "redis-cluster://127.0.0.1:notaport", "status", "x").finish().exit());
        assertEquals(ExitCodes.USAGE, start("--url", "redis-cluster://127.0.0.1:7000/3", "status", "x").finish().exit()); // no database in a cluster
    }

    private DlockProcess start(String... args) throws IOException {
        return DlockProcess.start(temp, args);
    }
}
