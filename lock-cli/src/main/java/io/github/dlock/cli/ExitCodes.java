package io.github.dlock.cli;

/** The exit codes of {@code dlock}, after sysexits.h where one fits. */
final class ExitCodes {
    static final int OK = 0;
    /** A check failed (the demo's). */
    static final int CHECK_FAILED = 1;
    /** {@code status}: nobody holds the lock (no permit is taken). */
    static final int NOT_HELD = 1;
    /** Bad usage: unknown option, bad URL, scheme or duration. */
    static final int USAGE = 64;
    /** The backing store could not be reached or failed. */
    static final int UNAVAILABLE = 69;
    /** The lock was lost while the command ran (the command was terminated) or while {@code hold} held it. */
    static final int LOCK_LOST = 70;
    /** The lock was not acquired within the timeout. */
    static final int NOT_ACQUIRED = 75;
    /** The command exists but could not be started. */
    static final int CANNOT_EXECUTE = 126;
    /** The command was not found. */
    static final int COMMAND_NOT_FOUND = 127;
    /** Ended by SIGTERM before the command ran (128 + 15, as a shell reports it). */
    static final int SIGNALLED = 143;

    private ExitCodes() {}
}
