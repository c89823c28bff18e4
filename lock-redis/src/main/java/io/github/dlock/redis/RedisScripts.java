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
     * Mutex acquire. KEYS: lock, fence. ARGV: token, leaseMs.
     * Returns {1, fencingToken} when acquired, {0, pttl of the holder} otherwise.
     */
    ACQUIRE_MUTEX(Lib.NEXT_TOKEN + """
            if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
              return {1, next_token(KEYS[2])}
            end
            return {0, redis.call('PTTL', KEYS[1])}
            """),

    /**
     * Reader acquire. KEYS: readers, writer, waiting writers, fence. ARGV: token, leaseMs.
     * Refused while a writer holds or waits. Returns {1, fencingToken} or {0, 0}.
     */
    ACQUIRE_READ(Lib.NEXT_TOKEN + Lib.NOW_MS + """
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
     * waitMarkMs. If not free and waitMarkMs > 0, marks this writer as waiting for that long
     * (new readers are refused meanwhile). Returns {1, fencingToken} or {0, 0}.
     */
    ACQUIRE_WRITE(Lib.NEXT_TOKEN + Lib.NOW_MS + """
            local now = now_ms()
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
            redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
            if redis.call('EXISTS', KEYS[2]) == 0 and redis.call('ZCARD', KEYS[1]) == 0 then
              redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
              redis.call('ZREM', KEYS[3], ARGV[1])
              return {1, next_token(KEYS[4])}
            end
            local mark = tonumber(ARGV[3])
            if mark > 0 then
              redis.call('ZADD', KEYS[3], now + mark, ARGV[1])
              if redis.call('PTTL', KEYS[3]) < mark then redis.call('PEXPIRE', KEYS[3], mark) end
            end
            return {0, 0}
            """),

    /** Stops waiting as a writer. KEYS: waiting writers, ARGV: token, channel. Wakes readers. Returns 1. */
    CANCEL_WRITE_WAIT("""
            if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then redis.call('PUBLISH', ARGV[2], 'cancelled') end
            return 1
            """),

    /**
     * Semaphore acquire. KEYS: holders, fence. ARGV: token, leaseMs, permits.
     * Returns {1, fencingToken} or {0, ms until the first permit expires}.
     */
    ACQUIRE_PERMIT(Lib.NEXT_TOKEN + Lib.NOW_MS + """
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
    RENEW_KEY("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
              return 1
            end
            return 0
            """),

    /** Releases a string hold if still ours. KEYS: key. ARGV: token, channel. Publishes on release. Returns 1/0. */
    RELEASE_KEY("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              redis.call('DEL', KEYS[1])
              redis.call('PUBLISH', ARGV[2], 'released')
              return 1
            end
            return 0
            """),

    /** Renews a sorted-set hold. KEYS: set. ARGV: token, leaseMs. Returns 1 if held and unexpired, else 0. */
    RENEW_MEMBER(Lib.NOW_MS + """
            local now = now_ms()
            local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
            if not score or tonumber(score) <= now then return 0 end
            local expiry = now + tonumber(ARGV[2])
            if expiry > tonumber(score) then redis.call('ZADD', KEYS[1], 'XX', expiry, ARGV[1]) end
            if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
            return 1
            """),

    /** Releases a sorted-set hold. KEYS: set. ARGV: token, channel. Publishes on release. Returns 1/0. */
    RELEASE_MEMBER("""
            if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
              redis.call('PUBLISH', ARGV[2], 'released')
              return 1
            end
            return 0
            """),

    /** Lease left of a hold. KEYS: key or set. ARGV: token, 1 for a set member else 0. Returns ms left, 0 if not held. */
    LEASE_LEFT(Lib.NOW_MS + """
            if ARGV[2] == '1' then
              local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
              if not score then return 0 end
              return math.max(0, tonumber(score) - now_ms())
            end
            if redis.call('GET', KEYS[1]) == ARGV[1] then return math.max(0, redis.call('PTTL', KEYS[1])) end
            return 0
            """),

    /** Redlock write-back: raises a fence counter to at least ARGV[1]. KEYS: fence. Returns the counter. */
    RAISE_FENCE("""
            local current = tonumber(redis.call('GET', KEYS[1]) or '0')
            local wanted = tonumber(ARGV[1])
            if wanted > current then redis.call('SET', KEYS[1], string.format('%d', wanted)) return wanted end
            return current
            """),

    /**
     * Who holds a name. KEYS: mutex, writer, readers, permits. Returns a flat list of
     * (mode, token, remaining ms) triples.
     */
    HOLDERS(Lib.NOW_MS + """
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

    final byte[] text;
    final byte[] sha;
    final String shaHex;

    RedisScripts(String text) {
        this.text = text.getBytes(StandardCharsets.UTF_8);
        this.shaHex = sha1Hex(this.text);
        this.sha = shaHex.getBytes(StandardCharsets.US_ASCII);
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
        static final String NEXT_TOKEN = """
                local function next_token(fence)
                  local t = redis.call('TIME')
                  local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
                  local current = tonumber(redis.call('GET', fence) or '0')
                  local next = math.max(current + 1, now_us)
                  redis.call('SET', fence, string.format('%d', next))
                  return next
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
