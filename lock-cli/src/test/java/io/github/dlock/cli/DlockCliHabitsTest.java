package io.github.dlock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockHandle;
import io.github.dlock.file.FileLockProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The habits of flock(1) and etcdctl users, on the file backend, through the shaded jar as a
 * real process: {@code --conflict-exit-code}, {@code --lease} where it means nothing,
 * {@code run -c}, {@code --quiet}/{@code --verbose}, {@code status} exit codes and JSON.
 */
class DlockCliHabitsTest {
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
    void conflictExitCode_replaces75_onlyWhenTheLockIsNotAcquired() throws Exception {
        try (FileLockProvider p = provider(); LockHandle held = p.lock("busy").acquire()) {
            assertEquals(3, run("--url", url, "run", "busy", "--timeout", "0", "--conflict-exit-code", "3", "--", "touch", "ran").exit());
            assertEquals(0, run("--url", url, "run", "busy", "--timeout", "0", "-E", "0", "--", "touch", "ran").exit());
            assertEquals(255, run("--url", url, "run", "busy", "--timeout", "100ms", "-E", "255", "--", "touch", "ran").exit());
            assertEquals(ExitCodes.NOT_ACQUIRED, run("--url", url, "run", "busy", "--timeout", "0", "--", "touch", "ran").exit());
            assertFalse(Files.exists(temp.resolve("ran")), "the command ran without the lock");
        }
        DlockProcess.Result free = run("--url", url, "run", "busy", "--timeout", "0", "-E", "3", "--", "sh", "-c", "exit 9");
        assertEquals(9, free.exit(), "acquired: the command's exit code, not the conflict code; " + free.err());
    }

    @Test
    void conflictExitCode_outsideTheByteRange_orNotANumber_exits64() throws Exception {
        for (String bad : List.of("-1", "256", "1000", "x")) {
            DlockProcess.Result r = run("--url", url, "run", "x", "--conflict-exit-code", bad, "--", "true");
            assertEquals(ExitCodes.USAGE, r.exit(), bad + ": " + r.err());
            assertTrue(r.err().startsWith("dlock: "), r.err());
            assertTrue(r.err().contains("--conflict-exit-code"), r.err());
        }
        DlockProcess.Result range = run("--url", url, "run", "x", "-E", "256", "--", "true");
        assertTrue(range.err().contains("[0, 255]"), range.err());
    }

    @Test
    void lease_isRejected_forStoresWithoutLeases_beforeAnyConnection() throws Exception {
        DlockProcess.Result file = run("--url", url, "run", "x", "--lease", "30s", "--", "touch", "ran");
        assertEquals(ExitCodes.USAGE, file.exit(), file.err());
        assertTrue(file.err().startsWith("dlock: --lease does not apply to file: URLs"), file.err());
        assertFalse(Files.exists(temp.resolve("ran")));
        // Nothing listens on port 1: exit 64 rather than 69 shows that the option was refused before connecting.
        for (String pg : List.of("postgresql://postgres@127.0.0.1:1/test", "jdbc:postgresql://127.0.0.1:1/test")) {
            DlockProcess.Result r = run("--url", pg, "run", "x", "--lease", "10s", "--", "true");
            assertEquals(ExitCodes.USAGE, r.exit(), pg + ": " + r.err());
            assertTrue(r.err().startsWith("dlock: --lease does not apply to PostgreSQL"), r.err());
        }
        DlockProcess.Result twice = run("--url", "redis://127.0.0.1:1?lease=5s", "run", "x", "--lease", "10s", "--", "true");
        assertEquals(ExitCodes.USAGE, twice.exit(), twice.err());
        assertTrue(twice.err().contains("give one"), twice.err());
        DlockProcess.Result tooShort = run("--url", "redis://127.0.0.1:1", "run", "x", "--lease", "10ms", "--", "true");
        assertEquals(ExitCodes.USAGE, tooShort.exit(), tooShort.err());
        assertTrue(tooShort.err().contains("lease must be at least 100ms"), tooShort.err());
    }

    @Test
    void shellString_runsWithBinShC_underTheLock() throws Exception {
        DlockProcess.Result r = run("--url", url, "run", "sh-job", "-c", "echo \"$DLOCK_NAME $((1 + 2))\" | tr a-z A-Z; exit 4");
        assertEquals(4, r.exit(), r.err());
        assertEquals("SH-JOB 3", r.out().trim());
        try (FileLockProvider p = provider(); LockHandle held = p.lock("sh-job").acquire()) {
            assertEquals(ExitCodes.NOT_ACQUIRED, run("--url", url, "run", "sh-job", "--timeout", "0", "-c", "touch ran").exit());
        }
        assertFalse(Files.exists(temp.resolve("ran")));
    }

    @Test
    void shellString_andCommand_bothOrNeither_exit64() throws Exception {
        DlockProcess.Result both = run("--url", url, "run", "x", "-c", "touch ran", "--", "touch", "ran");
        assertEquals(ExitCodes.USAGE, both.exit(), both.err());
        assertTrue(both.err().startsWith("dlock: give either -c SHELL-STRING or -- CMD"), both.err());
        DlockProcess.Result neither = run("--url", url, "run", "x");
        assertEquals(ExitCodes.USAGE, neither.exit(), neither.err());
        assertTrue(neither.err().startsWith("dlock: missing the command"), neither.err());
        assertFalse(Files.exists(temp.resolve("ran")));
    }

    @Test
    void quiet_silencesDlocksInformation_butNotTheCommand_norErrors() throws Exception {
        try (FileLockProvider p = provider(); LockHandle held = p.lock("busy").acquire()) {
            DlockProcess.Result loud = run("--url", url, "run", "busy", "--timeout", "0", "--", "true");
            assertTrue(loud.err().contains("not acquired"), loud.err());
            for (String quiet : List.of("-q", "--quiet")) {
                DlockProcess.Result r = run(quiet, "--url", url, "run", "busy", "--timeout", "0", "--", "true");
                assertEquals(ExitCodes.NOT_ACQUIRED, r.exit());
                assertEquals("", r.err());
            }
            DlockProcess.Result after = run("--url", url, "run", "busy", "--timeout", "0", "--quiet", "--", "true");
            assertEquals("", after.err(), "--quiet after the subcommand");
        }
        DlockProcess.Result cmd = run("-q", "--url", url, "run", "x", "-c", "echo to-out; echo to-err >&2");
        assertEquals("to-out", cmd.out().trim());
        assertEquals("to-err", cmd.err().trim());
        DlockProcess.Result unreachable = run("-q", "--url", "redis://127.0.0.1:1", "status", "x");
        assertEquals(ExitCodes.UNAVAILABLE, unreachable.exit());
        assertTrue(unreachable.err().startsWith("dlock: lock store unavailable"), unreachable.err());
        DlockProcess.Result both = run("-q", "-v", "--url", url, "status", "x");
        assertEquals(ExitCodes.USAGE, both.exit());
        assertTrue(both.err().startsWith("dlock: --quiet and --verbose cannot be combined"), both.err());
    }

    @Test
    void verbose_tellsTheStore_theWait_andTheFencingToken() throws Exception {
        DlockProcess.Result r = run("--verbose", "--url", url, "run", "v", "-c", "echo $DLOCK_FENCING_TOKEN");
        assertEquals(0, r.exit(), r.err());
        String token = r.out().trim();
        assertTrue(token.matches("[0-9]+"), r.out());
        assertTrue(r.err().contains("dlock: lock store " + url), r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.matches("dlock: acquired lock 'v' after [0-9]+\\.[0-9]{3}s, fencing token " + token)), r.err());
        assertTrue(r.err().contains("dlock: released lock 'v' after holding it "), r.err());
        assertEquals("", run("--url", url, "run", "v", "--", "true").err(), "without --verbose dlock says nothing on success");
    }

    @Test
    void verbose_neverShowsAPassword() throws Exception {
        for (String store : List.of("redis://user:hunter2@127.0.0.1:1", "postgresql://postgres:hunter2@127.0.0.1:1/test",
                "postgresql://127.0.0.1:1/test?user=postgres&password=hunter2")) {
            DlockProcess.Result r = run("-v", "--url", store, "run", "x", "--timeout", "1s", "--", "true");
            assertEquals(ExitCodes.UNAVAILABLE, r.exit(), store + ": " + r.err());
            assertTrue(r.err().contains("dlock: lock store "), r.err());
            assertFalse(r.err().contains("hunter2") || r.out().contains("hunter2"), r.err());
        }
    }

    @Test
    void status_exits0WhenHeld_1WhenFree_andPrintsJson() throws Exception {
        String name = "we\"ird\\name\tü ☃ /x";
        DlockProcess.Result free = run("--url", url, "status", name, "--json");
        assertEquals(ExitCodes.NOT_HELD, free.exit(), free.err());
        Map<?, ?> freeJson = (Map<?, ?>) MiniJson.parse(free.out().trim());
        assertEquals(Map.of("name", name, "held", false, "holders", List.of()), freeJson);
        assertTrue(free.out().chars().allMatch(c -> c == '\n' || (c >= 0x20 && c < 0x7f)), "not ASCII: " + free.out());
        assertEquals(ExitCodes.NOT_HELD, run("--url", url, "status", name).exit());

        Instant before = Instant.now().minusSeconds(1);
        try (FileLockProvider p = FileLockProvider.builder().directory(locks).ownerId("nightly \"job\"").build();
                LockHandle held = p.lock(name).acquire()) {
            DlockProcess.Result human = run("--url", url, "status", name);
            assertEquals(0, human.exit(), human.err());
            assertTrue(human.out().contains("is held by 1 holder"), human.out());

            DlockProcess.Result r = run("--url", url, "status", name, "--json");
            assertEquals(0, r.exit(), r.err());
            assertEquals(1, r.out().lines().count(), r.out());
            Map<?, ?> json = (Map<?, ?>) MiniJson.parse(r.out().trim());
            assertEquals(name, json.get("name"));
            assertEquals(true, json.get("held"));
            assertFalse(json.containsKey("permits"), r.out());
            List<?> holders = (List<?>) json.get("holders");
            assertEquals(1, holders.size(), r.out());
            Map<?, ?> h = (Map<?, ?>) holders.get(0);
            assertEquals("exclusive", h.get("mode"));
            assertEquals(ProcessHandle.current().pid(), h.get("pid"));
            assertEquals("nightly \"job\"", h.get("owner"));
            assertTrue(h.get("host") instanceof String, r.out());
            Instant since = Instant.parse((String) h.get("since"));
            assertFalse(since.isBefore(before), r.out());
            assertTrue(h.containsKey("leaseLeftMs") && h.get("leaseLeftMs") == null, "the file backend has no lease: " + r.out());
        }
    }

    @Test
    void status_ofASemaphore_countsPermitsTaken() throws Exception {
        try (FileLockProvider p = provider(); LockHandle mutex = p.lock("pool").acquire();
                LockHandle one = p.semaphore("pool", 3).acquire(); LockHandle two = p.semaphore("pool", 3).acquire()) {
            DlockProcess.Result r = run("--url", url, "status", "pool", "--permits", "3", "--json");
            assertEquals(0, r.exit(), r.err());
            Map<?, ?> json = (Map<?, ?>) MiniJson.parse(r.out().trim());
            assertEquals(Map.of("held", 2L, "total", 3L, "free", 1L), json.get("permits"), r.out());
            List<?> holders = (List<?>) json.get("holders");
            assertEquals(2, holders.size(), "only the permit holders, not the mutex of the same name: " + r.out());
            for (Object h : holders) assertEquals("permit", ((Map<?, ?>) h).get("mode"), r.out());

            DlockProcess.Result human = run("--url", url, "status", "pool", "--permits", "3");
            assertEquals(0, human.exit(), human.err());
            assertTrue(human.out().startsWith("semaphore 'pool': 2 of 3 permits taken"), human.out());
            DlockProcess.Result all = run("--url", url, "status", "pool", "--json");
            assertEquals(3, ((List<?>) ((Map<?, ?>) MiniJson.parse(all.out().trim())).get("holders")).size(), all.out());
        }
        try (FileLockProvider p = provider(); LockHandle mutex = p.lock("pool").acquire()) {
            DlockProcess.Result r = run("--url", url, "status", "pool", "--permits", "3", "--json");
            assertEquals(ExitCodes.NOT_HELD, r.exit(), "no permit is taken, only the mutex: " + r.out());
            Map<?, ?> json = (Map<?, ?>) MiniJson.parse(r.out().trim());
            assertEquals(false, json.get("held"));
            assertEquals(Map.of("held", 0L, "total", 3L, "free", 3L), json.get("permits"));
        }
        DlockProcess.Result bad = run("--url", url, "status", "pool", "--permits", "0");
        assertEquals(ExitCodes.USAGE, bad.exit(), bad.err());
    }

    private FileLockProvider provider() {
        return FileLockProvider.builder().directory(locks).build();
    }

    private DlockProcess.Result run(String... args) throws Exception {
        return DlockProcess.run(temp, args);
    }
}
