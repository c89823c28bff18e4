package io.github.dlock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockHandle;
import io.github.dlock.file.FileLockProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Drives the shaded {@code dlock.jar} as a user would, on the file backend. */
class DlockCliTest {
    @TempDir
    Path temp;
    private Path locks;
    private String url;

    @BeforeEach
    void setUp() throws IOException {
        locks = Files.createDirectories(temp.resolve("locks"));
        url = locks.toUri().toString();
    }

    @Test
    void concurrentRuns_onOneName_serialize_andSeeRisingTokens() throws Exception {
        Files.writeString(temp.resolve("counter"), "0");
        String script = "n=$(cat counter); sleep 0.2; echo $((n+1)) > counter; echo $DLOCK_FENCING_TOKEN >> tokens";
        List<DlockProcess> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) runs.add(start("--url", url, "run", "job", "--", "sh", "-c", script));
        for (DlockProcess p : runs) assertEquals(0, p.finish().exit());
        assertEquals("3", Files.readString(temp.resolve("counter")).trim(), "runs overlapped and lost an update");
        long[] tokens = Files.readAllLines(temp.resolve("tokens")).stream().mapToLong(Long::parseLong).toArray();
        assertEquals(3, tokens.length);
        for (int i = 1; i < tokens.length; i++) assertTrue(tokens[i] > tokens[i - 1], Arrays.toString(tokens));
    }

    @Test
    void permits2_letTwoInButNeverThree() throws Exception {
        String script = "echo start $(date +%s%N) >> log; sleep 0.4; echo end $(date +%s%N) >> log";
        List<DlockProcess> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) runs.add(start("--url", url, "run", "pool", "--permits", "2", "--", "sh", "-c", script));
        for (DlockProcess p : runs) assertEquals(0, p.finish().exit());
        List<long[]> events = new ArrayList<>();
        for (String line : Files.readAllLines(temp.resolve("log"))) {
            String[] f = line.split(" ");
            events.add(new long[] {Long.parseLong(f[1]), f[0].equals("start") ? 1 : -1});
        }
        events.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        int inside = 0;
        int max = 0;
        for (long[] e : events) max = Math.max(max, inside += (int) e[1]);
        assertTrue(max <= 2, "3 or more commands ran at once: " + max);

        try (FileLockProvider p = FileLockProvider.builder().directory(locks).build();
                LockHandle one = p.semaphore("pool", 2).acquire()) {
            assertEquals(0, run("--url", url, "run", "pool", "--permits", "2", "--timeout", "0", "--", "true").exit(), "the second permit must be free");
            try (LockHandle two = p.semaphore("pool", 2).acquire()) {
                assertEquals(ExitCodes.NOT_ACQUIRED, run("--url", url, "run", "pool", "--permits", "2", "--timeout", "0", "--", "true").exit());
            }
        }
    }

    @Test
    void exitCode_andEnvironment_comeFromTheCommand() throws Exception {
        assertEquals(7, run("--url", url, "run", "x", "--", "sh", "-c", "exit 7").exit());
        DlockProcess.Result r = run("--url", url, "run", "orders:42", "--", "sh", "-c", "echo \"$DLOCK_NAME|$DLOCK_FENCING_TOKEN\"");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().trim().matches("orders:42\\|[0-9]+"), r.out());
    }

    @Test
    void lockHeldElsewhere_exits75_afterTheTimeout() throws Exception {
        try (FileLockProvider p = FileLockProvider.builder().directory(locks).build(); LockHandle held = p.lock("busy").acquire()) {
            DlockProcess.Result once = run("--url", url, "run", "busy", "--timeout", "0", "--", "true");
            assertEquals(ExitCodes.NOT_ACQUIRED, once.exit());
            assertTrue(once.err().contains("not acquired"), once.err());
            assertEquals(ExitCodes.NOT_ACQUIRED, run("--url", url, "run", "busy", "--timeout", "300ms", "--", "true").exit());
            assertEquals(0, run("--url", url, "run", "busy", "--mode", "write", "--timeout", "0", "--", "true").exit(),
                    "a read-write lock is a different lock from the mutex of the same name");
        }
    }

    @Test
    void badUsage_exits64_withOneClearLine() throws Exception {
        List<String[]> bad = List.of(
                new String[] {"--url", "nosuch://x", "run", "x", "--", "true"},
                new String[] {"--url", "file:relative", "status", "x"},
                new String[] {"--url", url + "?colour=blue", "status", "x"},
                new String[] {"--url", url, "run", "x", "--timeout", "soon", "--", "true"},
                new String[] {"--url", url, "run", "x", "--timeout", "-5s", "--", "true"},
                new String[] {"--url", url, "run", "x"},
                new String[] {"--url", url, "run", "x", "--permits", "0", "--", "true"},
                new String[] {"--url", url, "run", "x", "--permits", "2", "--mode", "read", "--", "true"},
                new String[] {"--url", url, "run", "x", "--mode", "sideways", "--", "true"},
                new String[] {"--url", url, "run", " ", "--", "true"},
                new String[] {"--url", url, "frobnicate"});
        for (String[] args : bad) {
            DlockProcess.Result r = run(args);
            assertEquals(ExitCodes.USAGE, r.exit(), String.join(" ", args) + "\n" + r.err());
            assertTrue(r.err().startsWith("dlock: "), String.join(" ", args) + "\n" + r.err());
            assertTrue(r.out().isEmpty(), r.out());
        }
        DlockProcess.Result unknown = run("--url", "nosuch://x", "status", "x");
        assertTrue(unknown.err().contains("schemes on the class path: [file"), unknown.err());
    }

    @Test
    void missingCommand_exits127() throws Exception {
        DlockProcess.Result r = run("--url", url, "run", "x", "--", "no-such-command-dlock");
        assertEquals(ExitCodes.COMMAND_NOT_FOUND, r.exit(), r.err());
    }

    @Test
    void status_showsTheHolder_orThatNobodyHoldsIt() throws Exception {
        assertTrue(run("--url", url, "status", "report").out().contains("'report' is not held"));
        try (FileLockProvider p = FileLockProvider.builder().directory(locks).ownerId("nightly-job").build();
                LockHandle held = p.lock("report").acquire()) {
            DlockProcess.Result r = run("--url", url, "status", "report");
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.out().contains("nightly-job"), r.out());
            assertTrue(r.out().contains("exclusive"), r.out());
            assertTrue(r.out().contains(Long.toString(ProcessHandle.current().pid())), r.out());
        }
    }

    @Test
    void lockLostWhileTheCommandRuns_terminatesIt_andExits70() throws Exception {
        DlockProcess p = start("--url", url, "run", "fragile", "--", "sleep", "60");
        try (FileLockProvider observer = FileLockProvider.builder().directory(locks).build()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (observer.holders("fragile").isEmpty()) {
                assertTrue(System.nanoTime() < deadline, "dlock run never took the lock");
                Thread.sleep(50);
            }
        }
        Files.delete(locks.resolve("fragile.lock")); // the lock no longer excludes anybody
        DlockProcess.Result r = p.finish();
        assertEquals(ExitCodes.LOCK_LOST, r.exit(), r.err());
        assertTrue(r.err().contains("lost"), r.err());
    }

    @Test
    void demo_printsATimelineAndAPassingCheck() throws Exception {
        DlockProcess.Result r = run("--url", url, "demo", "--workers", "3", "--rounds", "2");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("demo:lock   acquired"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("check: ") && l.endsWith("-> OK")), r.out());
    }

    @Test
    void dlockKilled_withSigkill_takesTheCommandWithIt() throws Exception {
        Path pidFile = temp.resolve("command.pid");
        DlockProcess p = start("--url", url, "run", "guarded", "--", "sh", "-c", "echo $$ > command.pid.tmp; mv command.pid.tmp command.pid; exec sleep 120");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(pidFile)) {
            assertTrue(System.nanoTime() < deadline, "the command never started");
            Thread.sleep(20);
        }
        ProcessHandle command = ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim())).orElseThrow();
        p.kill(); // SIGKILL: no shutdown hook runs; the lock is freed by the OS
        try {
            command.onExit().get(30, TimeUnit.SECONDS); // TimeoutException: the command outlived dlock, running unguarded
        } finally {
            command.destroyForcibly();
        }
    }

    @Test
    void dlockKilled_theMomentTheCommandStarts_stillTakesTheCommandWithIt() throws Exception {
        // The command SIGKILLs dlock as its first act: no window may exist in which the command
        // runs before something that outlives dlock watches it.
        Path pidFile = temp.resolve("command.pid");
        Path go = temp.resolve("dlock.pid");
        DlockProcess p = start("--url", url, "run", "guarded", "--", "sh", "-c",
                "while [ ! -s dlock.pid ]; do sleep 0.01; done; kill -9 $(cat dlock.pid); echo $$ > command.pid.tmp; mv command.pid.tmp command.pid; exec sleep 120");
        Files.writeString(go, Long.toString(p.pid()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(pidFile)) {
            assertTrue(System.nanoTime() < deadline, "the command never started");
            Thread.sleep(20);
        }
        ProcessHandle command = ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim())).orElse(null);
        if (command == null) return; // already stopped
        try {
            command.onExit().get(30, TimeUnit.SECONDS); // TimeoutException: the command outlived dlock, running unguarded
        } finally {
            command.destroyForcibly();
        }
    }

    @Test
    void urlOption_mayFollowTheSubcommand() throws Exception {
        DlockProcess.Result r = run("run", "after", "--url", url, "--", "sh", "-c", "echo ok");
        assertEquals(0, r.exit(), r.err());
        assertEquals("ok", r.out().trim());
        assertTrue(Files.exists(locks.resolve("after.lock")), "the lock was not taken in --url's directory");
        assertTrue(run("status", "after", "--url", url).out().contains("'after' is not held"));
    }

    @Test
    void demo_againstAnUnreachableStore_printsOneLine_andExits69() throws Exception {
        DlockProcess.Result r = run("--url", "redis://127.0.0.1:1", "demo", "--workers", "2", "--rounds", "1");
        assertEquals(ExitCodes.UNAVAILABLE, r.exit(), r.out() + r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("dlock: lock store unavailable"), r.err());
    }

    private DlockProcess start(String... args) throws java.io.IOException {
        return DlockProcess.start(temp, args);
    }

    private DlockProcess.Result run(String... args) throws Exception {
        return DlockProcess.run(temp, args);
    }
}
