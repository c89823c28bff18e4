package io.github.dlock;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One current holder of a lock, as far as the backend can tell: who (owner id, host,
 * process id), how ({@link LockMode}) and since when. Fields a backend cannot know are
 * empty.
 */
public final class LockHolder {
    private final String ownerId;
    private final LockMode mode;
    private final String host;
    private final long pid;
    private final Instant since;
    private final Duration remainingLease;

    private LockHolder(Builder b) {
        this.ownerId = b.ownerId;
        this.mode = b.mode;
        this.host = b.host;
        this.pid = b.pid;
        this.since = b.since;
        this.remainingLease = b.remainingLease;
    }

    /**
     * Starts a holder description; backends use it, applications only read holders.
     *
     * @param ownerId the holder's owner id
     * @param mode how the holder holds the lock
     * @return a builder with every optional field empty
     * @throws NullPointerException if {@code ownerId} or {@code mode} is null
     */
    public static Builder builder(String ownerId, LockMode mode) {
        return new Builder(ownerId, mode);
    }

    /**
     * The holder's owner id (by default {@code host:pid:uuid}).
     *
     * @return the owner id, never null
     */
    public String ownerId() {
        return ownerId;
    }

    /**
     * How the lock is held: exclusive, read, write or one permit.
     *
     * @return the holder's mode, never null
     */
    public LockMode mode() {
        return mode;
    }

    /**
     * The host the holder runs on.
     *
     * @return the host name, or empty if the backend does not know it
     */
    public Optional<String> host() {
        return Optional.ofNullable(host);
    }

    /**
     * The holder's process id.
     *
     * @return the process id, or empty if the backend does not know it (a negative value was
     *     given to the builder, or none)
     */
    public OptionalLong pid() {
        return pid < 0 ? OptionalLong.empty() : OptionalLong.of(pid);
    }

    /**
     * When the holder acquired the lock.
     *
     * @return the time of acquisition, or empty if the backend does not know it
     */
    public Optional<Instant> since() {
        return Optional.ofNullable(since);
    }

    /**
     * Time left on the holder's lease, for backends with leases.
     *
     * @return the lease left when the holders were read, or empty for backends without leases
     */
    public Optional<Duration> remainingLease() {
        return Optional.ofNullable(remainingLease);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("LockHolder{owner=").append(ownerId).append(", mode=").append(mode);
        if (host != null) sb.append(", host=").append(host);
        if (pid >= 0) sb.append(", pid=").append(pid);
        if (since != null) sb.append(", since=").append(since);
        if (remainingLease != null) sb.append(", remainingLease=").append(remainingLease);
        return sb.append('}').toString();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof LockHolder)) return false;
        LockHolder h = (LockHolder) o;
        return pid == h.pid && ownerId.equals(h.ownerId) && mode == h.mode && Objects.equals(host, h.host)
                && Objects.equals(since, h.since) && Objects.equals(remainingLease, h.remainingLease);
    }

    @Override
    public int hashCode() {
        return Objects.hash(ownerId, mode, host, pid, since);
    }

    /** Builds a {@link LockHolder}; only owner id and mode are required. */
    public static final class Builder {
        private final String ownerId;
        private final LockMode mode;
        private String host;
        private long pid = -1;
        private Instant since;
        private Duration remainingLease;

        private Builder(String ownerId, LockMode mode) {
            this.ownerId = Objects.requireNonNull(ownerId, "ownerId");
            this.mode = Objects.requireNonNull(mode, "mode");
        }

        /**
         * Sets the host the holder runs on.
         *
         * @param host the host name, or {@code null} for unknown
         * @return this builder
         */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /**
         * Sets the holder's process id.
         *
         * @param pid the process id; a negative value means unknown
         * @return this builder
         */
        public Builder pid(long pid) {
            this.pid = pid;
            return this;
        }

        /**
         * Sets when the holder acquired the lock.
         *
         * @param since the time of acquisition, or {@code null} for unknown
         * @return this builder
         */
        public Builder since(Instant since) {
            this.since = since;
            return this;
        }

        /**
         * Sets the time left on the holder's lease.
         *
         * @param remainingLease the lease left, or {@code null} for a backend without leases
         * @return this builder
         */
        public Builder remainingLease(Duration remainingLease) {
            this.remainingLease = remainingLease;
            return this;
        }

        /**
         * Builds the holder from the values set so far; the builder may be used again.
         *
         * @return a new, immutable {@link LockHolder}
         */
        public LockHolder build() {
            return new LockHolder(this);
        }
    }
}
