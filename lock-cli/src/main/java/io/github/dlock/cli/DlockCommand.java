package io.github.dlock.cli;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockProvider;
import io.github.dlock.internal.Arguments;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code dlock}: run commands under distributed locks, see who holds them, watch a demo. */
@Command(name = "dlock", mixinStandardHelpOptions = true, version = "dlock 0.1.0", usageHelpWidth = DlockCommand.HELP_WIDTH,
        description = "Runs a command while holding a distributed lock or semaphore permit, and shows who holds a lock.",
        subcommands = {RunCommand.class, HoldCommand.class, StatusCommand.class, DemoCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "URL: --url, else $DLOCK_URL, else file://<tmpdir>/dlock-<user> (no server needed).",
            "", "Exit codes: the command's own; 64 bad usage; 69 lock store unavailable; 70 lock lost while the command ran "
                    + "or the lock was held; 75 (or --conflict-exit-code) not acquired within the timeout; 126/127 command not "
                    + "executable / not found; status: 0 held, 1 free."})
public final class DlockCommand {
    /** Help text wraps at 80 columns, whatever the terminal. */
    static final int HELP_WIDTH = 80;

    @Option(names = "--url", paramLabel = "URL", scope = CommandLine.ScopeType.INHERIT,
            description = {"Lock store, such as file:///dir or redis://host:6379 or postgresql://host/db. Default: $DLOCK_URL, else a "
                + "directory of the user's under the temporary directory."})
    String url;

    @Option(names = {"-q", "--quiet"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Print no informational lines (such as 'not acquired'); errors still go to stderr. The command's own output is untouched.")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Also print the store (password masked), how long acquiring took and the fencing token, on stderr.")
    boolean verbose;

    /** The URL to use: the option, else {@code $DLOCK_URL}, else this user's directory under the temp dir ({@link DefaultDirectory}). */
    String effectiveUrl() {
        if (url != null) return url;
        String env = System.getenv("DLOCK_URL");
        if (env != null && !env.isBlank()) return env;
        return DefaultDirectory.get().toUri().toString();
    }

    /**
     * The stderr messages of {@code cli}, as --quiet and --verbose say.
     *
     * @throws ParameterException (exit 64) if both are given
     */
    Messages messages(CommandLine cli) {
        if (quiet && verbose) throw new ParameterException(cli, "--quiet and --verbose cannot be combined");
        return new Messages(cli.getErr(), quiet, verbose);
    }

    LockProvider openProvider(Messages messages) {
        return openProvider(messages, Map.of());
    }

    /** Opens the store with {@code options} besides the URL's own; tells the (redacted) URL with --verbose. */
    LockProvider openProvider(Messages messages, Map<String, String> options) {
        String effective = effectiveUrl();
        messages.verbose("lock store " + Arguments.redactUrl(effective) + (options.isEmpty() ? "" : " with " + options));
        return LockProvider.open(effective, options);
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
        cli.setUsageHelpWidth(HELP_WIDTH);
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
