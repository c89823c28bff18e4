package io.github.dlock.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The shaded {@code dlock.jar} run as its own process, as a user would, with its output captured in files. */
final class DlockProcess {
    private static final Path JAR = Path.of(System.getProperty("dlock.jar", "target/dlock.jar"));

    /** What a finished run printed and returned. */
    record Result(int exit, String out, String err) {}

    private final Process process;
    private final Path out;
    private final Path err;

    private DlockProcess(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /**
     * Starts {@code dlock args...} in {@code dir}, without {@code $DLOCK_URL}, with SIGINT at its
     * default action as in a terminal's foreground job. A build started as a background job of a
     * script ({@code (mvn verify &)}, nohup) has SIGINT ignored, every process under it inherits
     * that, and a JVM that starts with SIGINT ignored keeps ignoring it (as every Unix program
     * should), so {@code kill -INT} would do nothing; {@code env --default-signal} (GNU coreutils
     * 8.31+) execs java in the same process, so {@link #pid()} stays dlock's.
     */
    static DlockProcess start(Path dir, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("env", "--default-signal=INT",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().remove("DLOCK_URL");
        Path out = Files.createTempFile(dir, "dlock", ".out");
        Path err = Files.createTempFile(dir, "dlock", ".err");
        return new DlockProcess(pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start(), out, err);
    }

    /** Runs {@code dlock args...} to completion. */
    static Result run(Path dir, String... args) throws Exception {
        return start(dir, args).finish();
    }

    /** The dlock process's pid. */
    long pid() {
        return process.pid();
    }

    /** Closes dlock's stdin: end of file for {@code dlock hold}. */
    void closeStdin() throws IOException {
        process.getOutputStream().close();
    }

    /** Sends {@code signal} ({@code TERM}, {@code INT}) with kill(1), to this process only. */
    void signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) throw new AssertionError("kill -" + signal + " " + process.pid() + " failed");
    }

    /** Waits (at most 60 s) until dlock's stdout has a whole line, and returns the first one. */
    String awaitFirstLine() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            String text = Files.readString(out, StandardCharsets.UTF_8);
            int newline = text.indexOf('\n');
            if (newline >= 0) return text.substring(0, newline);
            if (!process.isAlive()) {
                throw new AssertionError("dlock exited " + process.exitValue() + " without a line on stdout; stderr: " + Files.readString(err));
            }
            if (System.nanoTime() > deadline) throw new AssertionError("no line on stdout within 60 s; stderr: " + Files.readString(err));
            Thread.sleep(20);
        }
    }

    /** SIGKILL, and wait for it to end. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** Waits (at most 2 minutes) for the process and returns what it did. */
    Result finish() throws Exception {
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("dlock did not finish; stderr: " + Files.readString(err));
        }
        return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
}
