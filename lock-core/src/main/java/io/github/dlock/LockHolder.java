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

    /** Starts a holder description; backends use it, applications only read holders. */
    public static Builder builder(String ownerId, LockMode mode) {
        return new Builder(ownerId, mode);
    }

    /** The holder's owner id (by default {@code host:pid:uuid}). */
    public String ownerId() {
        return ownerId;
    }

    public LockMode mode() {
        return mode;
    }

    public Optional<String> host() {
        return Optional.ofNullable(host);
    }

    public OptionalLong pid() {
        return pid < 0 ? OptionalLong.empty() : OptionalLong.of(pid);
    }

    public Optional<Instant> since() {
        return Optional.ofNullable(since);
    }

    /** Time left on the holder's lease, for backends with leases. */
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

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        public Builder pid(long pid) {
            this.pid = pid;
            return this;
        }

        public Builder since(Instant since) {
            this.since = since;
            return this;
        }

        public Builder remainingLease(Duration remainingLease) {
            this.remainingLease = remainingLease;
            return this;
        }

        public LockHolder build() {
            return new LockHolder(this);
        }
    }
}
