package io.github.dlock.cli;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockProvider;
import io.github.dlock.internal.Arguments;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dlock}: run commands under distributed locks, see who holds them, watch a demo. */
@Command(name = "dlock", mixinStandardHelpOptions = true, version = "dlock 0.1.0",
        description = "Runs a command while holding a distributed lock or semaphore permit, and shows who holds a lock.",
        subcommands = {RunCommand.class, StatusCommand.class, DemoCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "URL: --url, else $DLOCK_URL, else file://<tmpdir>/dlock-<user> (no server needed).",
            "Exit codes: the command's own; 64 bad usage; 69 lock store unavailable; 70 lock lost while the command ran;",
            "75 not acquired within the timeout; 126/127 command not executable / not found."})
public final class DlockCommand {
    @Option(names = "--url", paramLabel = "URL", scope = CommandLine.ScopeType.INHERIT,
            description = "Lock store: file:///dir, redis://host:port, postgresql://host/db ... Default: $DLOCK_URL or file://<tmpdir>/dlock-<user>")
    String url;

    /** The URL to use: the option, else {@code $DLOCK_URL}, else this user's directory under the temp dir ({@link DefaultDirectory}). */
    String effectiveUrl() {
        if (url != null) return url;
        String env = System.getenv("DLOCK_URL");
        if (env != null && !env.isBlank()) return env;
        return DefaultDirectory.get().toUri().toString();
    }

    LockProvider openProvider() {
        return LockProvider.open(effectiveUrl());
    }

    /**
     * Runs {@code dlock} with the command line {@code args} and exits with its exit code (see
     * the footer of {@code dlock --help}).
     *
     * @param args the command line, without the program name
     */
    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line; returns the exit code. */
    static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new DlockCommand());
        cli.setOut(out);
        cli.setErr(err);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler((e, a) -> {
            err.println("dlock: " + e.getMessage());
            err.println("Try 'dlock " + (e.getCommandLine().getParent() != null ? e.getCommandLine().getCommandName() + " " : "") + "--help'.");
            return ExitCodes.USAGE;
        });
        cli.setExecutionExceptionHandler((e, c, p) -> {
            if (e instanceof IllegalArgumentException) {
                err.println("dlock: " + e.getMessage());
                return ExitCodes.USAGE;
            }
            if (e instanceof LockBackendException) {
                err.println("dlock: lock store unavailable: " + e.getMessage());
                return ExitCodes.UNAVAILABLE;
            }
            throw e;
        });
        return cli.execute(args);
    }

    /** A lock name for messages. */
    static String describe(String name) {
        return Arguments.describe(name);
    }
}
