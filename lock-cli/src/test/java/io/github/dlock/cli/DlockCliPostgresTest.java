package io.github.dlock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same CLI on PostgreSQL (the server {@code TestServers} resolves): only the URL changes. */
class DlockCliPostgresTest {
    @TempDir
    Path temp;
    private String url;

    @BeforeEach
    void setUp() {
        String base = io.github.dlock.testkit.TestServers.postgresUrl();
        url = base + (base.contains("?") ? "&" : "?") + "prefix=clitest-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void concurrentRuns_serialize_onPostgres() throws Exception {
        Files.writeString(temp.resolve("counter"), "0");
        String script = "n=$(cat counter); sleep 0.2; echo $((n+1)) > counter";
        List<DlockProcess> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) runs.add(DlockProcess.start(temp, "--url", url, "run", "job", "--", "sh", "-c", script));
        for (DlockProcess p : runs) {
            DlockProcess.Result r = p.finish();
            assertEquals(0, r.exit(), r.err());
        }
        assertEquals("3", Files.readString(temp.resolve("counter")).trim());
    }

    @Test
    void status_showsTheHolder_andATimeoutExits75() throws Exception {
        try (LockProvider p = LockProvider.open(url + "&owner=cli-pg-owner"); LockHandle h = p.lock("report").acquire()) {
            DlockProcess.Result status = DlockProcess.run(temp, "--url", url, "status", "report");
            assertEquals(0, status.exit(), status.err());
            assertTrue(status.out().contains("cli-pg-owner") && status.out().contains("exclusive"), status.out());
            assertEquals(ExitCodes.NOT_ACQUIRED, DlockProcess.run(temp, "--url", url, "run", "report", "--timeout", "300ms", "--", "true").exit());
        }
    }

    @Test
    void badPostgresUrls_exit64_andUnreachableServers_exit69() throws Exception {
        assertEquals(ExitCodes.USAGE, DlockProcess.run(temp, "--url", "postgresql://127.0.0.1", "status", "x").exit());
        assertEquals(ExitCodes.USAGE, DlockProcess.run(temp, "--url", "jdbc:postgresql://127.0.0.1/test?colour=1", "status", "x").exit());
        assertEquals(ExitCodes.UNAVAILABLE, DlockProcess.run(temp, "--url", "postgresql://postgres@127.0.0.1:1/test?timeout=1s", "run", "x", "--", "true").exit());
    }
}
