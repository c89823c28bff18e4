package io.github.dlock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adversarial review probes for issue 12 (CLI), kept as tests: signals to dlock, to its guard
 * and to the command; commands that ignore SIGTERM or leave children behind; exit codes; the
 * default directory under the temporary directory. Each failed on the first version of the
 * guard (see the commit that added them).
 */
class CliReviewProbesTest {
    private static final Path JAR = Path.of(System.getProperty("dlock.jar", "target/dlock.jar"));

    @TempDir
    Path temp;
    private Path locks;
    private String url;
    private final List<ProcessHandle> toKill = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        locks = Files.createDirectories(temp.resolve("locks"));
        url = locks.toUri().toString();
    }

    @AfterEach
    void cleanUp() {
        for (ProcessHandle p : toKill) p.destroyForcibly();
    }

    /**
     * SIGKILL to the guard JVM (an OOM kill, or a careless `kill -9` of "that java process"):
     * dlock sees the guard exit and releases the lock, but the command, re-parented to init,
     * keeps running unguarded while another dlock takes the lock.
     */
    @Test
    void guardKilledWithSigkill_commandMustNotOutliveTheLock() throws Exception {
        DlockProcess p = DlockProcess.start(temp, "--url", url, "run", "g", "--", "sh", "-c",
                "echo $$ > command.pid.tmp; mv command.pid.tmp command.pid; exec sleep 120");
        ProcessHandle command = awaitPid(temp.resolve("command.pid"));
        ProcessHandle guard = command.parent().orElseThrow();
        assertEquals(p.pid(), guard.parent().orElseThrow().pid(), "the command's parent is not dlock's child");
        guard.destroyForcibly(); // SIGKILL the guard only
        DlockProcess.Result r = p.finish();
        boolean commandAlive = !command.onExit().completeOnTimeout(null, 3, TimeUnit.SECONDS).thenApply(x -> x != null).get();
        DlockProcess.Result second = DlockProcess.run(temp, "--url", url, "run", "g", "--timeout", "0", "--", "true");
        assertTrue(!commandAlive, "after SIGKILL of the guard, dlock exited " + r.exit() + " (stderr: " + r.err().trim()
                + ") and released the lock, but the command (pid " + command.pid() + ") still runs; a second dlock run on the same"
                + " lock exited " + second.exit());
    }

    /**
     * SIGKILL to dlock while the command ignores SIGTERM: README promises the watcher
     * "terminates them within 0.1 s"; the guard sends SIGTERM and waits 10 s before SIGKILL,
     * and during those 10 s the lock is already free (the OS dropped dlock's file lock), so a
     * second dlock runs its command alongside the first.
     */
    @Test
    void dlockKilled_commandIgnoringSigterm_isNotTerminatedPromptly_whileTheLockIsFree() throws Exception {
        DlockProcess p = DlockProcess.start(temp, "--url", url, "run", "g", "--", "sh", "-c",
                "trap '' TERM; echo $$ > command.pid.tmp; mv command.pid.tmp command.pid; while :; do sleep 0.05; done");
        ProcessHandle command = awaitPid(temp.resolve("command.pid"));
        p.kill();
        DlockProcess.Result second = DlockProcess.run(temp, "--url", url, "run", "g", "--timeout", "0", "--", "sh", "-c", "echo second-ran");
        boolean firstStillRunning = command.isAlive();
        boolean gone = command.onExit().completeOnTimeout(null, 3, TimeUnit.SECONDS).get() != null;
        assertTrue(!(firstStillRunning && second.out().contains("second-ran")) && gone,
                "after SIGKILL of dlock the first command (ignores SIGTERM) still ran while a second 'dlock run' of the same lock"
                        + " ran its command (second exit " + second.exit() + ", out '" + second.out().trim() + "'); first gone within 3 s: " + gone);
    }

    /**
     * The command leaves a background child that ignores SIGTERM. SIGTERM to dlock: the
     * command dies at the first SIGTERM, its child is re-parented, and the SIGKILL pass
     * (which lists descendants again) no longer finds it; dlock exits and frees the lock while
     * the child runs on for good.
     */
    @Test
    void dlockTerminated_commandsChildIgnoringSigterm_doesNotOutliveDlock() throws Exception {
        Path script = temp.resolve("spawn.sh");
        Files.writeString(script, "sh -c 'trap \"\" TERM; echo $$ > child.pid.tmp; mv child.pid.tmp child.pid; exec sleep 120' &\nwait\n");
        DlockProcess p = DlockProcess.start(temp, "--url", url, "run", "g", "--", "sh", script.toString());
        ProcessHandle child = awaitPid(temp.resolve("child.pid"));
        ProcessHandle.of(p.pid()).orElseThrow().destroy(); // SIGTERM to dlock
        DlockProcess.Result r = p.finish();
        boolean childGone = child.onExit().completeOnTimeout(null, 15, TimeUnit.SECONDS).get() != null;
        assertTrue(childGone, "dlock exited " + r.exit() + " after SIGTERM and freed the lock, but the command's child (pid "
                + child.pid() + ", ignores SIGTERM) still runs 15 s later");
    }

    /** The same with the lock lost (lock file deleted): dlock exits 70 but the child survives. */
    @Test
    void lockLost_commandsChildIgnoringSigterm_isTerminatedToo() throws Exception {
        Path script = temp.resolve("spawn.sh");
        Files.writeString(script, "sh -c 'trap \"\" TERM; echo $$ > child.pid.tmp; mv child.pid.tmp child.pid; exec sleep 120' &\nwait\n");
        DlockProcess p = DlockProcess.start(temp, "--url", url, "run", "g", "--", "sh", script.toString());
        ProcessHandle child = awaitPid(temp.resolve("child.pid"));
        Files.delete(locks.resolve("g.lock"));
        DlockProcess.Result r = p.finish();
        assertEquals(ExitCodes.LOCK_LOST, r.exit(), r.err());
        boolean childGone = child.onExit().completeOnTimeout(null, 15, TimeUnit.SECONDS).get() != null;
        assertTrue(childGone, "the lock was lost and dlock exited 70, but the command's child (pid " + child.pid() + ") still runs");
    }

    /** Signals to the guard (TERM) and to the command: exit codes 128+N, nothing left running. */
    @Test
    void signalsToGuardAndCommand_giveShellExitCodes_andLeaveNothingRunning() throws Exception {
        DlockProcess p = DlockProcess.start(temp, "--url", url, "run", "g", "--", "sh", "-c",
                "echo $$ > command.pid.tmp; mv command.pid.tmp command.pid; exec sleep 120");
        ProcessHandle command = awaitPid(temp.resolve("command.pid"));
        command.parent().orElseThrow().destroy(); // SIGTERM to the guard
        DlockProcess.Result r = p.finish();
        assertTrue(command.onExit().completeOnTimeout(null, 15, TimeUnit.SECONDS).get() != null, "command survived SIGTERM to its guard");
        assertEquals(143, r.exit(), "SIGTERM to the guard: " + r.err());

        Files.delete(temp.resolve("command.pid"));
        p = DlockProcess.start(temp, "--url", url, "run", "g", "--", "sh", "-c",
                "echo $$ > command.pid.tmp; mv command.pid.tmp command.pid; exec sleep 120");
        command = awaitPid(temp.resolve("command.pid"));
        command.destroyForcibly(); // SIGKILL to the command
        r = p.finish();
        assertEquals(137, r.exit(), "command killed by SIGKILL: " + r.err());
    }

    /** Exit codes for commands that cannot be run, as the README documents (126 / 127). */
    @Test
    void unrunnableCommands_exit126or127() throws Exception {
        Path notExecutable = Files.writeString(temp.resolve("plain.sh"), "echo hi\n");
        List<String> wrong = new ArrayList<>();
        check(wrong, 126, "not executable", notExecutable.toString());
        check(wrong, 126, "a directory", temp.toString());
        check(wrong, 127, "missing", "/nonexistent/dlock-probe-cmd");
        check(wrong, 127, "missing on PATH", "dlock-probe-no-such-command");
        check(wrong, 127, "empty command name", "");
        assertEquals(List.of(), wrong);
    }

    private void check(List<String> wrong, int expected, String what, String command) throws Exception {
        DlockProcess.Result r = DlockProcess.run(temp, "--url", url, "run", "x", "--", command);
        if (r.exit() != expected) wrong.add(what + " ('" + command + "'): exit " + r.exit() + ", stderr: " + r.err().trim());
    }

    /** Unreachable stores: `demo`, `run` and `status` print one line and exit 69 for every scheme. */
    @Test
    void unreachableStores_oneLine_exit69() throws Exception {
        List<String> wrong = new ArrayList<>();
        for (String store : List.of("redis://127.0.0.1:1", "redis://127.0.0.1:1,127.0.0.1:2,127.0.0.1:3",
                "postgresql://postgres@127.0.0.1:1/test", "file:///proc/self/dlock-cannot-create")) {
            for (List<String> args : List.of(List.of("demo", "--workers", "2", "--rounds", "1"), List.of("status", "n"),
                    List.of("run", "n", "--timeout", "1s", "--", "true"))) {
                List<String> all = new ArrayList<>(List.of("--url", store));
                all.addAll(args);
                DlockProcess.Result r = DlockProcess.run(temp, all.toArray(new String[0]));
                if (r.exit() != ExitCodes.UNAVAILABLE || r.err().lines().count() != 1) {
                    wrong.add(store + " " + args.get(0) + ": exit " + r.exit() + ", " + r.err().lines().count() + " stderr lines: "
                            + r.err().lines().limit(3).reduce("", (a, b) -> a + " | " + b));
                }
            }
        }
        assertEquals(List.of(), wrong);
    }

    /**
     * The CLI's default directory is {@code <tmpdir>/dlock-<user>}, under the shared temporary
     * directory. Anybody can create it first as a symlink to a directory of their choosing;
     * dlock then follows it (the provider takes the directory's real path) and writes its
     * fencing counter and holder records into any {@code NAME.lock} file there, a regular
     * file with one link that passes every lock-file check.
     */
    @Test
    void defaultDirectory_plantedAsASymlink_isNotFollowed() throws Exception {
        Path tmp = Files.createDirectories(temp.resolve("shared-tmp"));
        Path elsewhere = Files.createDirectories(temp.resolve("someone-elses-app"));
        Path victim = elsewhere.resolve("config.lock");
        byte[] original = "precious contents of another program's lock file\n".getBytes(StandardCharsets.UTF_8);
        Files.write(victim, original);
        Files.createSymbolicLink(tmp.resolve("dlock-" + System.getProperty("user.name")), elsewhere);

        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Djava.io.tmpdir=" + tmp,
                "-jar", JAR.toAbsolutePath().toString(), "run", "config", "--", "true");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(temp.toFile()).redirectErrorStream(true);
        pb.environment().remove("DLOCK_URL");
        Process proc = pb.start();
        String output = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(2, TimeUnit.MINUTES));
        byte[] after = Files.readAllBytes(victim);
        assertTrue(java.util.Arrays.equals(original, after), "dlock (exit " + proc.exitValue() + ", output '" + output.trim()
                + "') followed the planted symlink <tmpdir>/dlock -> " + elsewhere + " and rewrote " + victim + ": now "
                + after.length + " bytes, first 8 = " + hex(after, 8));
    }

    private static String hex(byte[] b, int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(n, b.length); i++) s.append(String.format("%02x", b[i]));
        return s.toString();
    }

    private ProcessHandle awaitPid(Path pidFile) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(pidFile)) {
            if (System.nanoTime() > until) fail("no " + pidFile.getFileName() + " within 60 s");
            Thread.sleep(20);
        }
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty()) fail("process " + pid + " already gone");
        toKill.add(h.get());
        return h.get();
    }
}
