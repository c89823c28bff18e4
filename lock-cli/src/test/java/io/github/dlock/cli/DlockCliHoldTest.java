package io.github.dlock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockHandle;
import io.github.dlock.file.FileLockProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dlock hold} as a real process on the file backend: held line, release on EOF and signals, loss, conflicts, bash. */
class DlockCliHoldTest {
    private static final Path JAR = Path.of(System.getProperty("dlock.jar", "target/dlock.jar"));

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
    void hold_printsTheToken_holdsUntilStdinEnds_thenReleases_andExits0() throws Exception {
        DlockProcess hold = DlockProcess.start(temp, "--url", url, "hold", "deploy");
        String line = hold.awaitFirstLine();
        assertTrue(line.matches("held deploy token=[0-9]+"), line);
        try (FileLockProvider p = provider()) {
            assertTrue(p.lock("deploy").tryAcquire().isEmpty(), "the lock is free while dlock hold reports it held");
            assertEquals(List.of(hold.pid()), p.holders("deploy").stream().map(h -> h.pid().orElse(-1)).toList());
            hold.closeStdin();
            DlockProcess.Result r = hold.finish();
            assertEquals(0, r.exit(), r.err());
            assertEquals("", r.err());
            assertEquals(line + "\n", r.out());
            assertTrue(p.holders("deploy").isEmpty());
        }
    }

    @Test
    void hold_releasesAndExits0_onSigtermAndSigint() throws Exception {
        for (String signal : List.of("TERM", "INT")) {
            DlockProcess hold = DlockProcess.start(temp, "--verbose", "--url", url, "hold", "sig-" + signal);
            hold.awaitFirstLine();
            hold.signal(signal);
            DlockProcess.Result r = hold.finish();
            assertEquals(0, r.exit(), signal + ": " + r.err());
            assertTrue(r.err().contains("dlock: released lock 'sig-" + signal + "' after holding it"), signal + ": " + r.err());
            try (FileLockProvider p = provider(); LockHandle again = p.lock("sig-" + signal).tryAcquire().orElse(null)) {
                assertTrue(again != null, signal + ": the lock was not released");
            }
        }
    }

    @Test
    void hold_lockLost_saysWhy_andExits70_withoutWaitingForStdin() throws Exception {
        DlockProcess hold = DlockProcess.start(temp, "--url", url, "hold", "fragile");
        hold.awaitFirstLine();
        Files.delete(locks.resolve("fragile.lock"));
        DlockProcess.Result r = hold.finish(); // stdin stays open
        assertEquals(ExitCodes.LOCK_LOST, r.exit(), r.err());
        assertTrue(r.err().contains("fragile.lock was deleted"), "the library's reason: " + r.err());
        assertTrue(r.err().contains("dlock: lock 'fragile' was lost while held"), r.err());
    }

    @Test
    void hold_notAcquiredInTime_exits75_orTheConflictCode() throws Exception {
        try (FileLockProvider p = provider(); LockHandle held = p.lock("busy").acquire()) {
            DlockProcess.Result r = DlockProcess.run(temp, "--url", url, "hold", "busy", "--timeout", "100ms");
            assertEquals(ExitCodes.NOT_ACQUIRED, r.exit(), r.err());
            assertEquals("", r.out());
            assertTrue(r.err().contains("not acquired"), r.err());
            assertEquals(1, DlockProcess.run(temp, "--url", url, "hold", "busy", "--timeout", "0", "-E", "1").exit());
            DlockProcess write = DlockProcess.start(temp, "--url", url, "hold", "busy", "--mode", "write", "--timeout", "0");
            assertTrue(write.awaitFirstLine().startsWith("held busy token="), "the write lock is not the mutex");
            write.closeStdin();
            assertEquals(0, write.finish().exit());
        }
    }

    @Test
    void hold_permits_letsTwoHoldersIn_thenTheThirdWaits() throws Exception {
        DlockProcess one = DlockProcess.start(temp, "--url", url, "hold", "pool", "--permits", "2");
        DlockProcess two = DlockProcess.start(temp, "--url", url, "hold", "pool", "--permits", "2");
        one.awaitFirstLine();
        two.awaitFirstLine();
        assertEquals(ExitCodes.NOT_ACQUIRED, DlockProcess.run(temp, "--url", url, "hold", "pool", "--permits", "2", "--timeout", "0").exit());
        one.closeStdin();
        assertEquals(0, one.finish().exit());
        DlockProcess three = DlockProcess.start(temp, "--url", url, "hold", "pool", "--permits", "2", "--timeout", "30s");
        three.awaitFirstLine();
        two.closeStdin();
        three.closeStdin();
        assertEquals(0, two.finish().exit());
        assertEquals(0, three.finish().exit());
    }

    /**
     * The README's recipe, run by bash: the commands between reading the held line and closing
     * fd 3 run under the lock; a lost lock shows in hold's exit code, a busy one in the script's.
     */
    @Test
    void readmeBashRecipe_holdsTheLockAcrossSeveralCommands() throws Exception {
        Path script = temp.resolve("deploy.sh");
        Files.writeString(script, String.join("\n",
                "dlock() { \"$JAVA\" -jar \"$JAR\" \"$@\"; }",
                "dir=$(mktemp -d) && mkfifo \"$dir/held\"",
                "exec 3> >(dlock hold deploy --timeout 0 > \"$dir/held\"); lock=$!",
                "read -r line < \"$dir/held\" || { wait \"$lock\"; exit; }",
                "token=${line##*token=}",
                "echo \"token $token\" > inside.txt",
                "dlock status deploy >> inside.txt",
                "if [ \"$1\" = lose ]; then rm locks/deploy.lock; else exec 3>&-; fi   # lose: fd 3 stays open",
                "wait \"$lock\" || { echo \"dlock hold exited $?\"; exit 1; }",
                "rm -r \"$dir\"",
                ""));
        BashRun ok = bash(script);
        assertEquals(0, ok.exit(), ok.output());
        String inside = Files.readString(temp.resolve("inside.txt"));
        assertTrue(inside.matches("(?s)token [0-9]+\n'deploy' is held by 1 holder.*"), inside);
        try (FileLockProvider p = provider()) {
            Optional<LockHandle> after = p.lock("deploy").tryAcquire();
            assertFalse(after.isEmpty(), "the script ended but the lock is still held");
            after.get().close();
            try (LockHandle busy = p.lock("deploy").acquire()) {
                BashRun conflict = bash(script);
                assertEquals(ExitCodes.NOT_ACQUIRED, conflict.exit(), "a busy lock: the script exits with hold's code; " + conflict.output());
                assertTrue(busy.fencingToken() > 0);
            }
        }
        BashRun lost = bash(script, "lose");
        assertEquals(1, lost.exit(), lost.output());
        assertTrue(lost.output().contains("dlock hold exited 70"), lost.output());
    }

    private record BashRun(int exit, String output) {}

    private BashRun bash(Path script, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(temp.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        pb.environment().put("JAR", JAR.toAbsolutePath().toString());
        pb.environment().put("DLOCK_URL", url);
        Process bash = pb.start();
        String output = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(bash.waitFor(2, TimeUnit.MINUTES));
        return new BashRun(bash.exitValue(), output);
    }

    private FileLockProvider provider() {
        return FileLockProvider.builder().directory(locks).build();
    }
}
