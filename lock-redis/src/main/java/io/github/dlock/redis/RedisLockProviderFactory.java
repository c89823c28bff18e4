package io.github.dlock.redis;

import io.github.dlock.LockProvider;
import io.github.dlock.internal.Arguments;
import io.github.dlock.internal.PercentDecoding;
import io.github.dlock.spi.LockProviderFactory;
import io.github.dlock.internal.ProviderOptions;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * Opens {@link RedisLockProvider}s for {@code redis://[user:password@]host[:port][/db]} and
 * {@code rediss://} (TLS); several comma-separated servers
 * ({@code redis://h1:6379,h2:6379,h3:6379}) mean Redlock;
 * {@code redis-sentinel://[user:password@]s1:26379,s2:26379,s3:26379[/db]#master} a Sentinel
 * set's master (the form Lettuce users know; the credentials are the master's); and
 * {@code redis-cluster://[user:password@]n1:7000,n2:7001} a Redis Cluster through those seed
 * nodes ({@code rediss-sentinel://}, {@code rediss-cluster://} with TLS). Options: {@code lease},
 * {@code renew} (true/false), {@code retry}, {@code maxAttempts}, {@code prefix},
 * {@code owner}, {@code poolSize}, {@code timeout}, {@code replicas}, {@code replicaTimeout}; for Sentinel also
 * {@code sentinelUser} and {@code sentinelPassword} (percent-encoded; the sentinels' own credentials).
 */
public final class RedisLockProviderFactory implements LockProviderFactory {

    @Override
    public Set<String> schemes() {
        return Set.of("redis", "rediss", "redis-sentinel", "rediss-sentinel", "redis-cluster", "rediss-cluster");
    }

    @Override
    public LockProvider create(URI uri, Map<String, String> options) {
        String shown = Arguments.redactUrl(uri.toString());
        String authority = uri.getRawAuthority();
        if (uri.isOpaque() || authority == null || authority.isEmpty()) {
            throw new IllegalArgumentException("Redis URL needs a host, like redis://localhost:6379: " + shown);
        }
        String scheme = uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        boolean sentinel = scheme.endsWith("-sentinel");
        RedisLockProvider.Builder b = RedisLockProvider.builder().ssl(scheme.startsWith("rediss"));
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = authority.substring(0, at);
            int colon = userInfo.indexOf(':');
            String user = colon < 0 ? null : PercentDecoding.decode(userInfo.substring(0, colon), "user in the url");
            String password = PercentDecoding.decode(colon < 0 ? userInfo : userInfo.substring(colon + 1), "password in the url");
            b.credentials(user == null || user.isEmpty() ? null : user, password);
        }
        try {
            hostsAndFragment(b, uri, authority.substring(at + 1), scheme, shown);
        } catch (IllegalArgumentException e) {
            if (at >= 0 || uri.toString().indexOf('@') < 0) throw e;
            // with user-info in play, a part of the password may have been taken for a host or
            // port (an unencoded '/', '?' or '#' in it): say so without echoing any part
            throw new IllegalArgumentException("malformed Redis URL (percent-encode '/', '?', '#' and '@' in the user-info): " + shown);
        }
        ProviderOptions o = new ProviderOptions(uri.getScheme(), options);
        o.duration("lease").ifPresent(b::lease);
        o.bool("renew").ifPresent(b::renew);
        o.retryStrategy().ifPresent(b::retryStrategy);
        o.string("prefix").ifPresent(b::prefix);
        o.string("owner").ifPresent(b::ownerId);
        o.integer("poolSize", 1, 10_000).ifPresent(b::poolSize);
        o.duration("timeout").ifPresent(b::timeout);
        java.util.Optional<String> sentinelPassword = o.string("sentinelPassword");
        java.util.Optional<String> sentinelUser = o.string("sentinelUser");
        if (sentinelUser.isPresent() && sentinelPassword.isEmpty()) {
            throw new IllegalArgumentException("sentinelUser needs sentinelPassword: " + shown);
        }
        if (sentinelPassword.isPresent() && !sentinel) throw new IllegalArgumentException("sentinelPassword is for redis-sentinel:// URLs: " + shown);
        sentinelPassword.ifPresent(pw -> b.sentinelCredentials(sentinelUser.orElse(null), pw));
        int replicas = o.integer("replicas", 0, 100).orElse(0);
        java.time.Duration replicaTimeout = o.duration("replicaTimeout").orElse(java.time.Duration.ofSeconds(1));
        if (replicas > 0) b.waitForReplicas(replicas, replicaTimeout);
        o.rejectUnknown();
        try {
            return b.build();
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException(e.getMessage() + ": " + shown, e);
        }
    }

    /** The hosts (or sentinels, or seed nodes), the master's name after '#', and the database path. */
    private static void hostsAndFragment(RedisLockProvider.Builder b, URI uri, String hostList, String scheme, String shown) {
        boolean sentinel = scheme.endsWith("-sentinel");
        boolean cluster = scheme.endsWith("-cluster");
        String[] hosts = hostList.split(",", -1);
        String fragment = uri.getFragment();
        if (sentinel) {
            if (fragment == null || fragment.isBlank()) {
                throw new IllegalArgumentException("Redis Sentinel URL needs the master's name after '#', like redis-sentinel://s1:26379,s2:26379#mymaster: " + shown);
            }
            if (fragment.contains("?") || fragment.contains("&")) {
                throw new IllegalArgumentException("options go before '#master', like redis-sentinel://s1:26379?lease=10s#mymaster: " + shown);
            }
            b.sentinels(parsed(hosts, 26379, "sentinel", shown));
            b.masterName(fragment);
        } else {
            if (fragment != null) throw new IllegalArgumentException("only redis-sentinel:// URLs take a '#master' part: " + shown);
            if (cluster) b.clusterNodes(parsed(hosts, 6379, "cluster node", shown));
            else for (String server : hosts) addServer(b, server, shown);
        }
        String path = uri.getPath();
        if (path != null && !path.isEmpty() && !path.equals("/")) {
            try {
                b.database(Integer.parseInt(path.substring(1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Redis URL path must be a database number, like /0: " + shown);
            }
        }
    }

    /** Checks each {@code host[:port]} now, so that a bad one is named with the (redacted) URL. */
    private static String[] parsed(String[] hosts, int defaultPort, String what, String shown) {
        for (String h : hosts) {
            try {
                RedisLockProvider.Builder.parseAddress(h, defaultPort, what);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage() + " in " + shown, e);
            }
        }
        return hosts;
    }

    private static void addServer(RedisLockProvider.Builder b, String server, String shown) {
        String host;
        String port = null;
        if (server.startsWith("[")) {
            int close = server.indexOf(']');
            if (close < 0) throw new IllegalArgumentException("unclosed IPv6 address '" + server + "' in " + shown);
            host = server.substring(1, close);
            if (server.length() > close + 1) {
                if (server.charAt(close + 1) != ':') throw new IllegalArgumentException("malformed server '" + server + "' in " + shown);
                port = server.substring(close + 2);
            }
        } else {
            int colon = server.lastIndexOf(':');
            host = colon < 0 ? server : server.substring(0, colon);
            if (colon >= 0) port = server.substring(colon + 1);
        }
        if (host.isBlank()) throw new IllegalArgumentException("missing host in " + shown);
        int p;
        try {
            p = port == null ? 6379 : Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port '" + port + "' in " + shown);
        }
        if (p < 1 || p > 65535) throw new IllegalArgumentException("port must be within [1, 65535], got " + p + " in " + shown);
        b.server(host, p);
    }
}
