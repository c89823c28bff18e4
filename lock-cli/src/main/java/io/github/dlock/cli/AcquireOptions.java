package io.github.dlock.cli;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** How {@code run} and {@code hold} acquire: timeout, mode, permits, lease, conflict exit code. */
final class AcquireOptions {
    enum Mode { exclusive, read, write }

    @Option(names = "--timeout", paramLabel = "DUR", converter = DurationConverter.class,
            description = "How long to wait for the lock: 250ms, 30s, 5m, PT1M; 0 tries once. Default: wait as long as it takes.")
    Duration timeout;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "exclusive",
            description = "exclusive (a mutex), read or write (sides of a reader-writer lock). Default: ${DEFAULT-VALUE}.")
    Mode mode;

    @Option(names = "--permits", paramLabel = "N", description = "Take one of N permits of semaphore NAME instead of a mutex.")
    Integer permits;

    @Option(names = "--lease", paramLabel = "DUR", converter = DurationConverter.class,
            description = "Lease on stores with leases (redis:, rediss:, redis-sentinel:, redis-cluster:), renewed while held: how long the lock outlives a dlock "
                    + "that died or lost its network. Default: the URL's lease option, else 30s. Rejected for file: and "
                    + "PostgreSQL, which free the lock when dlock's process or session ends.")
    Duration lease;

    @Option(names = {"-E", "--conflict-exit-code"}, paramLabel = "N",
            description = "Exit code when the lock was not acquired within --timeout (0 to 255). Default: 75.")
    Integer conflictExitCode;

    /**
     * Checks the combination of options.
     *
     * @throws ParameterException (exit 64) naming the bad option
     */
    void validate(CommandLine cli) {
        if (permits != null && permits <= 0) throw new ParameterException(cli, "--permits must be positive: " + permits);
        if (permits != null && mode != Mode.exclusive) {
            throw new ParameterException(cli, "--permits takes a semaphore permit; it cannot be combined with --mode " + mode);
        }
        if (conflictExitCode != null && (conflictExitCode < 0 || conflictExitCode > 255)) {
            throw new ParameterException(cli, "--conflict-exit-code must be within [0, 255]: " + conflictExitCode);
        }
    }

    /** The exit code for "not acquired within --timeout". */
    int notAcquiredExitCode() {
        return conflictExitCode != null ? conflictExitCode : ExitCodes.NOT_ACQUIRED;
    }

    /**
     * Opens the store, with {@code --lease} as its {@code lease} option when given.
     *
     * @throws ParameterException (exit 64) if {@code --lease} is given for a store without leases,
     *     or together with a {@code lease} option in the URL
     */
    LockProvider open(DlockCommand parent, CommandLine cli, Messages messages) {
        if (lease == null) return parent.openProvider(messages);
        String url = parent.effectiveUrl();
        String scheme = scheme(url);
        if (scheme.equals("file")) {
            throw new ParameterException(cli, "--lease does not apply to file: URLs: a file lock belongs to the dlock process, and the"
                    + " OS frees it the moment that process ends, so there is no lease to set");
        }
        if (scheme.equals("postgresql") || scheme.equals("postgres") || scheme.equals("jdbc:postgresql")) {
            throw new ParameterException(cli, "--lease does not apply to PostgreSQL: an advisory lock lasts as long as dlock's database"
                    + " session, which the server ends when dlock dies or its connection is lost, so there is no lease to set");
        }
        if (urlHasOption(url, "lease")) {
            throw new ParameterException(cli, "--lease " + lease.toString().substring(2).toLowerCase(Locale.ROOT)
                    + " and the URL's lease option both set the lease; give one");
        }
        return parent.openProvider(messages, Map.of("lease", lease.toString()));
    }

    /** The lock, read or write side, or semaphore NAME. */
    DistributedLock lockFor(LockProvider provider, String name) {
        if (permits != null) return provider.semaphore(name, permits);
        switch (mode) {
            case read: return provider.readWriteLock(name).readLock();
            case write: return provider.readWriteLock(name).writeLock();
            default: return provider.lock(name);
        }
    }

    /**
     * Acquires {@code lock} as the options say; empty (after telling, unless --quiet) if it was
     * not acquired within --timeout. With --verbose, tells how long it took and the token.
     */
    Optional<LockHandle> acquire(DistributedLock lock, String name, Messages messages) throws InterruptedException {
        messages.verbose("acquiring " + what(name) + (timeout == null ? ", waiting as long as it takes"
                : timeout.isZero() ? ", trying once" : ", waiting at most " + Messages.seconds(timeout)));
        long start = System.nanoTime();
        Optional<LockHandle> acquired = timeout == null ? Optional.of(lock.acquire()) : lock.tryAcquire(timeout);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        if (acquired.isEmpty()) {
            messages.info(what(name) + " was not acquired within " + Messages.seconds(timeout)
                    + (conflictExitCode != null ? "; exit code " + conflictExitCode : ""));
            return acquired;
        }
        messages.verbose("acquired " + what(name) + " after " + Messages.seconds(took) + ", fencing token "
                + acquired.get().fencingToken());
        return acquired;
    }

    /** What is taken, for messages: {@code lock 'x'}, {@code read lock 'x'}, {@code a permit of semaphore 'x' (3 permits)}. */
    String what(String name) {
        if (permits != null) return "a permit of semaphore " + DlockCommand.describe(name) + " (" + permits + " permits)";
        return (mode == Mode.exclusive ? "lock " : mode + " lock ") + DlockCommand.describe(name);
    }

    /** The scheme, lower case ({@code jdbc:postgresql} for JDBC URLs); empty if there is none (the store then reports it). */
    private static String scheme(String url) {
        int colon = url.indexOf(':');
        if (colon <= 0) return "";
        String scheme = url.substring(0, colon).toLowerCase(Locale.ROOT);
        if (scheme.equals("jdbc")) {
            int second = url.indexOf(':', colon + 1);
            if (second > 0) scheme = url.substring(0, second).toLowerCase(Locale.ROOT);
        }
        return scheme;
    }

    /** Whether the URL's query names {@code option}. */
    private static boolean urlHasOption(String url, String option) {
        int q = url.indexOf('?');
        if (q < 0) return false;
        int hash = url.indexOf('#', q);
        for (String pair : url.substring(q + 1, hash < 0 ? url.length() : hash).split("&")) {
            int eq = pair.indexOf('=');
            try {
                if (URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8).equals(option)) return true;
            } catch (IllegalArgumentException malformed) {
                return false; // the store reports the malformed query
            }
        }
        return false;
    }
}
