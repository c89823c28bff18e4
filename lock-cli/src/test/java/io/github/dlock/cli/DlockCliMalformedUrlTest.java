package io.github.dlock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed URLs and options for every scheme: exit 64 with one clear line, before any server
 * is contacted, and a password in the URL is never echoed.
 */
class DlockCliMalformedUrlTest {
    @TempDir
    Path temp;

    @Test
    void malformedUrlsOfEveryScheme_exit64_withAClearLine_andNoPassword() throws Exception {
        List<String> bad = List.of(
                "file:", "file:///tmp/dlock?colour=blue", "file:///tmp/dlock?retry=sometimes", "file:///tmp/dlock?maxAttempts=0",
                "redis://u:hunter2@127.0.0.1:notaport", "redis://u:hunter2@:6379", "redis://u:hunter2@127.0.0.1:6379/notadb",
                "redis://u:hunter2@127.0.0.1:6379?lease=-1s", "rediss://u:hunter2@127.0.0.1:6379?poolSize=0",
                "redis://u:hunter2@127.0.0.1:1,127.0.0.1:notaport,127.0.0.1:3", "redis://u:hunter2@127.0.0.1:6379?renew=perhaps",
                "postgresql://u:hunter2@127.0.0.1", "postgres://u:hunter2@127.0.0.1:70000/test", "jdbc:postgresql://u:hunter2@127.0.0.1/a/b",
                "postgresql://u:hunter2@127.0.0.1/test?transactionPooling=maybe", "postgresql://u:hunter2@127.0.0.1/test?sequence=x;drop",
                "postgresql://u:hunter2@127.0.0.1/test?keepAlive=0s", "mysql://u:hunter2@127.0.0.1/test", "not a url at all");
        for (String url : bad) {
            DlockProcess.Result r = DlockProcess.run(temp, "--url", url, "status", "x");
            assertEquals(ExitCodes.USAGE, r.exit(), url + "\n" + r.err());
            assertTrue(r.err().startsWith("dlock: ") && r.err().strip().lines().count() == 1, url + "\n" + r.err());
            assertFalse(r.err().contains("hunter2") || r.out().contains("hunter2"), url + "\n" + r.err());
        }
    }
}
