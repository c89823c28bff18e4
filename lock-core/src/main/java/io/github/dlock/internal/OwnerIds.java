package io.github.dlock.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.UUID;

/**
 * Facts about this process used to identify lock owners: the host name, the pid and the
 * default owner id {@code host:pid:uuid}.
 */
public final class OwnerIds {
    private static final String HOST = lookUpHost();
    private static final long PID = ProcessHandle.current().pid();

    private OwnerIds() {}

    /** A new owner id {@code host:pid:uuid}, unique per call. */
    public static String generate() {
        return HOST + ":" + PID + ":" + UUID.randomUUID();
    }

    /**
     * A holder description for {@code ownerId}, with host and pid filled in when the id has
     * the default {@code host:pid:uuid} form.
     */
    public static io.github.dlock.LockHolder.Builder holder(String ownerId, io.github.dlock.LockMode mode) {
        io.github.dlock.LockHolder.Builder b = io.github.dlock.LockHolder.builder(ownerId, mode);
        String[] parts = ownerId.split(":");
        if (parts.length == 3 && parts[2].length() == 36) {
            try {
                b.pid(Long.parseLong(parts[1])).host(parts[0]);
            } catch (NumberFormatException e) {
                // a custom owner id that merely looks similar
            }
        }
        return b;
    }

    public static String localHost() {
        return HOST;
    }

    public static long pid() {
        return PID;
    }

    private static String lookUpHost() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) return env.trim();
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
