package io.github.dlock.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Every state change of the Redis backend, as Lua scripts run with EVALSHA. Keys come only
 * through KEYS and values only through ARGV. Expiry uses the server's clock ({@code TIME}),
 * so client clocks never matter. Requires Redis 5+ (scripts replicated by effect).
 *
 * <p>Holds are stored two ways: a string key whose value is the holder's token (mutex and
 * writer), or a member of a sorted set scored by its expiry in server milliseconds (readers
 * and semaphore permits; expired members are swept by every acquire).
 *
 * <p>Fencing tokens: {@code max(counter + 1, server time in microseconds)}, stored back in the
 * counter. They rise across holders and, as long as the server's clock does not go back,
 * even across a restart that lost the counter.
 */
enum RedisScripts {
    /**
     * Mutex acquire. KEYS: lock, fence. ARGV: token, leaseMs, least token (see {@link Lib#NEXT_TOKEN}).
     * Returns {1, fencingToken} when acquired, {0, pttl of the holder} otherwise.
     */
    ACQUIRE_MUTEX(Flags.WRITES, Lib.NEXT_TOKEN + Lib.REQUIRE_TYPE + """
            require_type(KEYS[1], 'string'); require_type(KEYS[2], 'string')
            if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
              return {1, next_token(KEYS[2])}
            end
            return {0, redis.call('PTTL', KEYS[1])}
            """),

    /**
     * Reader acquire. KEYS: readers, writer, waiting writers, fence. ARGV: token, leaseMs, least token.
     * Refused while a writer holds or waits. Returns {1, fencingToken} or {0, 0}.
     */
    ACQUIRE_READ(Flags.WRITES, Lib.NEXT_TOKEN + Lib.NOW_MS + Lib.REQUIRE_TYPE + """
            require_type(KEYS[1], 'zset'); require_type(KEYS[2], 'string'); require_type(KEYS[3], 'zset'); require_type(KEYS[4], 'string')
            local now = now_ms()
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
            redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
            if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('ZCARD', KEYS[3]) > 0 then
              return {0, 0}
            end
            redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
            if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
            return {1, next_token(KEYS[4])}
            """),

    /**
     * Writer acquire. KEYS: readers, writer, waiting writers, fence. ARGV: token, leaseMs,
     * waitMarkMs, waiter id, least token. If not free and waitMarkMs > 0, marks the waiter as a waiting
     * writer for that long (new readers are refused meanwhile). Returns {1, fencingToken} or {0, 0}.
     */
    ACQUIRE_WRITE(Flags.WRITES, Lib.NEXT_TOKEN + Lib.NOW_MS + Lib.REQUIRE_TYPE + """
            require_type(KEYS[1], 'zset'); require_type(KEYS[2], 'string'); require_type(KEYS[3], 'zset'); require_type(KEYS[4], 'string')
            local now = now_ms()
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
            redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
            if redis.call('EXISTS', KEYS[2]) == 0 and redis.call('ZCARD', KEYS[1]) == 0 then
              redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
              redis.call('ZREM', KEYS[3], ARGV[4])
              return {1, next_token(KEYS[4])}
            end
            local mark = tonumber(ARGV[3])
            if mark > 0 then
              redis.call('ZADD', KEYS[3], now + mark, ARGV[4])
              if redis.call('PTTL', KEYS[3]) < mark then redis.call('PEXPIRE', KEYS[3], mark) end
            end
            return {0, 0}
            """),

    /** Stops waiting as a writer. KEYS: waiting writers, ARGV: waiter id, channel. Wakes readers. Returns 1. */
    CANCEL_WRITE_WAIT(Flags.ALLOW_OOM, """
            if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then redis.call('PUBLISH', ARGV[2], 'cancelled') end
            return 1
            """),

    /**
     * Semaphore acquire. KEYS: holders, fence. ARGV: token, leaseMs, permits, least token.
     * Returns {1, fencingToken} or {0, ms until the first permit expires}.
     */
    ACQUIRE_PERMIT(Flags.WRITES, Lib.NEXT_TOKEN + Lib.NOW_MS + Lib.REQUIRE_TYPE + """
            require_type(KEYS[1], 'zset'); require_type(KEYS[2], 'string')
            local now = now_ms()
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
            if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
              redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
              if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
              return {1, next_token(KEYS[2])}
            end
            local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
            return {0, tonumber(first[2]) - now}
            """),

    /** Renews a string hold. KEYS: key. ARGV: token, leaseMs. Returns 1 if held (lease now >= leaseMs), else 0. */
    RENEW_KEY(Flags.ALLOW_OOM, """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
              return 1
            end
            return 0
            """),

    /**
     * Releases a string hold if still ours. KEYS: key. ARGV: token, channel. Publishes on
     * release unless the channel is empty (a failed attempt giving back a partial grant
     * must not wake its own waiter out of its retry pause). Returns 1/0.
     */
    RELEASE_KEY(Flags.ALLOW_OOM, """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              redis.call('DEL', KEYS[1])
              if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], 'released') end
              return 1
            end
            return 0
            """),

    /** Renews a sorted-set hold. KEYS: set. ARGV: token, leaseMs. Returns 1 if held and unexpired, else 0. */
    RENEW_MEMBER(Flags.ALLOW_OOM, Lib.NOW_MS + """
            local now = now_ms()
            local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
            if not score or tonumber(score) <= now then return 0 end
            local expiry = now + tonumber(ARGV[2])
            if expiry > tonumber(score) then redis.call('ZADD', KEYS[1], 'XX', expiry, ARGV[1]) end
            if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
            return 1
            """),

    /** Releases a sorted-set hold. KEYS: set. ARGV: token, channel. Publishes on release as {@link #RELEASE_KEY}. Returns 1/0. */
    RELEASE_MEMBER(Flags.ALLOW_OOM, """
            if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
              if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], 'released') end
              return 1
            end
            return 0
            """),

    /** Lease left of a hold. KEYS: key or set. ARGV: token, 1 for a set member else 0. Returns ms left, 0 if not held. */
    LEASE_LEFT(Flags.NO_WRITES, Lib.NOW_MS + """
            if ARGV[2] == '1' then
              local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
              if not score then return 0 end
              return math.max(0, tonumber(score) - now_ms())
            end
            if redis.call('GET', KEYS[1]) == ARGV[1] then return math.max(0, redis.call('PTTL', KEYS[1])) end
            return 0
            """),

    /** Redlock write-back: raises a fence counter to at least ARGV[1]. KEYS: fence. Returns the counter. */
    RAISE_FENCE(Flags.WRITES, """
            local current = tonumber(redis.call('GET', KEYS[1]) or '0')
            local wanted = tonumber(ARGV[1])
            if wanted > current then redis.call('SET', KEYS[1], string.format('%d', wanted)) return wanted end
            return current
            """),

    /**
     * Who holds a name. KEYS: mutex, writer, readers, permits. Returns a flat list of
     * (mode, token, remaining ms) triples.
     */
    HOLDERS(Flags.NO_WRITES, Lib.NOW_MS + """
            local now = now_ms()
            local out = {}
            local function add_key(mode, key)
              local token = redis.call('GET', key)
              if token then table.insert(out, mode); table.insert(out, token); table.insert(out, redis.call('PTTL', key)) end
            end
            local function add_set(mode, key)
              local members = redis.call('ZRANGEBYSCORE', key, '(' .. now, '+inf', 'WITHSCORES')
              for i = 1, #members, 2 do
                table.insert(out, mode); table.insert(out, members[i]); table.insert(out, tonumber(members[i + 1]) - now)
              end
            end
            add_key('EXCLUSIVE', KEYS[1])
            add_key('WRITE', KEYS[2])
            add_set('READ', KEYS[3])
            add_set('PERMIT', KEYS[4])
            return out
            """);

    /**
     * Whether running the script twice has the effect of running it once, so that a call whose
     * reply was lost to a dropped connection may simply be repeated. The acquire scripts are not
     * (a repeat would be refused by the grant of the first run); their callers give the
     * attempt's token back before trying again.
     */
    boolean repeatable() {
        return switch (this) {
            case ACQUIRE_MUTEX, ACQUIRE_READ, ACQUIRE_WRITE, ACQUIRE_PERMIT -> false;
            default -> true;
        };
    }

    /** The script for Redis 5 and 6 (no flags). */
    final byte[] text;
    final byte[] sha;
    /** The script with its Redis 7 flags ({@code #!lua} shebang); see {@link Flags}. */
    final byte[] flaggedText;
    final byte[] flaggedSha;
    /**
     * The flagged script for Redis Cluster: wake-ups go out with {@code SPUBLISH} (sharded
     * pub/sub, Redis 7+: delivered by the shard that owns the channel's slot, which the lock's
     * hash tag makes the slot of its keys) instead of a {@code PUBLISH} that every node of the
     * cluster would relay.
     */
    final byte[] shardedText;
    final byte[] shardedSha;

    RedisScripts(Flags flags, String text) {
        this.text = text.getBytes(StandardCharsets.UTF_8);
        this.sha = sha1Hex(this.text).getBytes(StandardCharsets.US_ASCII);
        this.flaggedText = (flags.shebang + "\n" + text).getBytes(StandardCharsets.UTF_8);
        this.flaggedSha = sha1Hex(this.flaggedText).getBytes(StandardCharsets.US_ASCII);
        this.shardedText = (flags.shebang + "\n" + text.replace("redis.call('PUBLISH',", "redis.call('SPUBLISH',")).getBytes(StandardCharsets.UTF_8);
        this.shardedSha = sha1Hex(this.shardedText).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Script flags (Redis 7+), which decide what a script may do when the server is out of
     * memory ({@code maxmemory} with {@code noeviction}). Without flags Redis checks memory
     * per command inside a script, and only until the script's first write, so an acquire
     * could half-succeed and a renewal's {@code ZADD} was refused.
     */
    enum Flags {
        /** Refused as a whole, before it runs, while the server is out of memory: acquires never half-happen. */
        WRITES("#!lua"),
        /** Runs while out of memory: renewals and releases, which never grow memory (they rewrite or remove). */
        ALLOW_OOM("#!lua flags=allow-oom"),
        /** Reads only; runs while out of memory and on replicas. */
        NO_WRITES("#!lua flags=no-writes");

        final String shebang;

        Flags(String shebang) {
            this.shebang = shebang;
        }
    }

    private static String sha1Hex(byte[] bytes) {
        try {
            StringBuilder hex = new StringBuilder(40);
            for (byte b : MessageDigest.getInstance("SHA-1").digest(bytes)) hex.append(String.format("%02x", b));
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required on every Java platform", e);
        }
    }

    /** Lua helpers prepended to the scripts that need them. */
    private static final class Lib {
        /**
         * The next fencing token from a counter: above the counter, at least the server's clock
         * in µs (so tokens keep rising after the counter is lost with an empty restart), and at
         * least the least token the caller proposes in the script's last argument ({@code 0}
         * for none). Redlock proposes one above every server's clock for exclusive holds, so
         * servers whose counters agree hand out the same token and the write-back round can be
         * skipped; for shared holds (readers, permits), which may be granted at once, it passes
         * {@code least/index/servers} instead: each server then hands out only values congruent
         * to its index modulo the number of servers, so no two servers ever hand out the same
         * value, and concurrent holders never share a token.
         */
        static final String NEXT_TOKEN = """
                local function next_token(fence)
                  local t = redis.call('TIME')
                  local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
                  local current = tonumber(redis.call('GET', fence) or '0')
                  local least, index, servers = string.match(ARGV[#ARGV], '^(%d+)/(%d+)/(%d+)$')
                  local next
                  if servers then
                    next = math.max(current + 1, now_us, tonumber(least))
                    next = next + (tonumber(index) - next) % tonumber(servers)
                  else
                    next = math.max(current + 1, now_us, tonumber(ARGV[#ARGV]) or 0)
                  end
                  redis.call('SET', fence, string.format('%d', next))
                  return next
                end
                """;
        /** Fails with a WRONGTYPE error naming the key if it exists with another type than {@code wanted}. */
        static final String REQUIRE_TYPE = """
                local function require_type(key, wanted)
                  local found = redis.call('TYPE', key)['ok']
                  if found ~= 'none' and found ~= wanted then
                    error({err = 'WRONGTYPE key ' .. key .. ' holds a ' .. found .. ' where dlock keeps a ' .. wanted})
                  end
                end
                """;
        static final String NOW_MS = """
                local function now_ms()
                  local t = redis.call('TIME')
                  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
                end
                """;
    }
}
