package io.github.dlock.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ChildWorker} in its own JVM, started from this JVM's class path. Its output lines
 * are collected so tests can wait for a line and show everything on failure.
 */
public final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private volatile boolean outputDone;
    private final List<String> transcript = java.util.Collections.synchronizedList(new ArrayList<>());

    private ChildJvm(Process process) {
        this.process = process;
        Thread reader = new Thread(this::pump, "child-" + process.pid() + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code ChildWorker} with {@code args}.
     *
     * @param args the worker's arguments (see {@link ChildWorker})
     * @return the running child; close it to kill it if it is still alive
     * @throws IOException if the JVM cannot be started
     */
    public static ChildJvm start(String... args) throws IOException {
        return startMain(ChildWorker.class, args);
    }

    /**
     * Starts {@code main} (a class with a main method on the test class path) with {@code args}.
     * The child runs this JVM's {@code java} with {@code -Xmx128m}; its standard error is merged
     * into the collected output.
     *
     * @param main the class whose {@code main} the child runs
     * @param args the arguments of {@code main}
     * @return the running child; close it to kill it if it is still alive
     * @throws IOException if the JVM cannot be started
     */
    public static ChildJvm startMain(Class<?> main, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx128m");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(List.of(args));
        return new ChildJvm(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    private void pump() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                transcript.add(line);
                lines.add(line);
            }
        } catch (IOException e) {
            transcript.add("<output closed: " + e + ">");
        } finally {
            outputDone = true;
        }
    }

    /**
     * Waits for an output line starting with {@code prefix} and returns it; fails early if the child exits first.
     * Lines before it are consumed (they stay in {@link #output()}).
     *
     * @param prefix what the line starts with
     * @param timeout the longest wait
     * @return the whole line
     * @throws InterruptedException if interrupted while waiting
     * @throws AssertionError if the child exits, or the timeout passes, without such a line;
     *     the message carries the child's output
     */
    public String awaitLine(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String line = lines.poll(100, TimeUnit.MILLISECONDS);
            if (line != null) {
                if (line.startsWith(prefix)) return line;
            } else if (!process.isAlive() && lines.isEmpty() && outputDone) {
                throw new AssertionError("child " + pid() + " exited (" + process.exitValue() + ") without printing '" + prefix + "'; output:\n" + output());
            }
        }
        throw new AssertionError("child " + pid() + " printed no line starting with '" + prefix + "' within " + timeout + "; output:\n" + output());
    }

    /**
     * Waits for the process to exit and returns its exit code.
     *
     * @param timeout the longest wait, in whole milliseconds
     * @return the child's exit code
     * @throws InterruptedException if interrupted while waiting
     * @throws AssertionError if the child did not exit in time; it is then killed, and the
     *     message carries its output
     */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("child " + pid() + " did not exit within " + timeout + "; output:\n" + output());
        }
        return process.exitValue();
    }

    /**
     * Writes {@code line} to the child's standard input.
     *
     * @param line the text, without its line terminator (a newline is added)
     * @throws IOException if the child's input is closed or the write fails
     */
    public void send(String line) throws IOException {
        java.io.OutputStream in = process.getOutputStream();
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    /**
     * Asks a holding child to release and exit, by closing its standard input.
     *
     * @throws IOException if closing the stream fails
     */
    public void closeInput() throws IOException {
        process.getOutputStream().close();
    }

    /**
     * SIGKILL: the child gets no chance to release anything. Returns once it has exited.
     *
     * @throws InterruptedException if interrupted while waiting for the child to exit
     */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /**
     * The child's process id.
     *
     * @return the operating system's id of the child process
     */
    public long pid() {
        return process.pid();
    }

    /**
     * Everything the child printed so far, for failure messages.
     *
     * @return the output lines (standard output and error), joined by newlines
     */
    public String output() {
        synchronized (transcript) {
            return String.join("\n", transcript);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) kill();
    }
}
