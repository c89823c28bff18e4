package io.github.dlock.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts benchmark parts in JVMs of their own (the rate-limiting scenario's two processes, the
 * virtual-thread comparison on JDK 25) with this JVM's class path and environment, and stops
 * them by handle. A child's standard error is passed through; its standard output is read line
 * by line by the caller.
 */
final class ChildJvms {
    private ChildJvms() {}

    /** A running child: its process and a reader of its standard output. */
    record Child(Process process, BufferedReader out) implements AutoCloseable {
        /** The next line the child printed, failing if it exited first. */
        String readLine() throws IOException {
            String line = out.readLine();
            if (line == null) throw new IllegalStateException("child JVM exited (" + exitCode() + ") before printing what was expected");
            return line;
        }

        void send(String line) throws IOException {
            process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().flush();
        }

        private String exitCode() {
            try {
                return process.waitFor(5, TimeUnit.SECONDS) ? "exit " + process.exitValue() : "still running";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "unknown";
            }
        }

        /** Waits up to {@code seconds} for a clean exit, then kills the child. */
        boolean await(long seconds) throws InterruptedException {
            if (process.waitFor(seconds, TimeUnit.SECONDS)) return process.exitValue() == 0;
            process.destroyForcibly();
            return false;
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    /** This JVM's {@code java} launcher. */
    static String currentJava() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * A JDK 21 or later {@code java} launcher: {@code $DLOCK_BENCH_JAVA21} if set (run.sh sets it
     * to the newest JDK under {@code /usr/lib/jvm}), else this JVM's if it is 21 or later, else
     * null.
     */
    static String java21() {
        String configured = System.getenv("DLOCK_BENCH_JAVA21");
        if (configured != null && !configured.isBlank() && Files.isExecutable(Path.of(configured))) return configured;
        return Runtime.version().feature() >= 21 ? currentJava() : null;
    }

    static Child start(String java, Class<?> main, List<String> args) {
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp",
                System.getProperty("java.class.path"), main.getName()));
        command.addAll(args);
        try {
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            return new Child(p, new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + java, e);
        }
    }
}
