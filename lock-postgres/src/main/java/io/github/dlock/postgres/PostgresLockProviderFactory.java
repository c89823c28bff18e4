package io.github.dlock.postgres;

import io.github.dlock.LockProvider;
import io.github.dlock.internal.Arguments;
import io.github.dlock.internal.PercentDecoding;
import io.github.dlock.spi.LockProviderFactory;
import io.github.dlock.internal.ProviderOptions;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * Opens {@link PostgresLockProvider}s for {@code postgresql://[user[:password]@]host[:port]/db},
 * {@code postgres://...} and {@code jdbc:postgresql://...}. Options: {@code prefix},
 * {@code owner}, {@code poolSize}, {@code timeout}, {@code keepAlive}, {@code sequence},
 * {@code retry}, {@code maxAttempts}, {@code transactionPooling} (true behind PgBouncer in
 * transaction mode), and the JDBC settings {@code user}, {@code password}, {@code sslmode}.
 */
public final class PostgresLockProviderFactory implements LockProviderFactory {

    @Override
    public Set<String> schemes() {
        return Set.of("postgresql", "postgres", "jdbc:postgresql");
    }

    @Override
    public LockProvider create(URI uri, Map<String, String> options) {
        String shown = Arguments.redactUrl(uri.toString());
        if (uri.isOpaque() || uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("PostgreSQL URL needs a host, like postgresql://user@localhost:5432/db: " + shown);
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) throw new IllegalArgumentException("port must be within [1, 65535]: " + shown);
        String path = uri.getRawPath();
        if (path == null || path.length() < 2 || path.indexOf('/', 1) >= 0) {
            throw new IllegalArgumentException("PostgreSQL URL must name one database, like postgresql://localhost/app: " + shown);
        }
        ProviderOptions o = new ProviderOptions("postgresql", options);
        PostgresLockProvider.Builder b = PostgresLockProvider.builder()
                .jdbcUrl("jdbc:postgresql://" + hostPort(uri) + path);
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String info = uri.getRawUserInfo();
            int colon = info.indexOf(':');
            user = PercentDecoding.decode(colon < 0 ? info : info.substring(0, colon), "user in the url");
            password = colon < 0 ? null : PercentDecoding.decode(info.substring(colon + 1), "password in the url");
        }
        String queryUser = o.string("user").orElse(null);
        String queryPassword = o.string("password").orElse(null);
        if (queryUser != null) user = queryUser;
        if (queryPassword != null) password = queryPassword;
        if (user != null) b.credentials(user, password);
        o.string("sslmode").ifPresent(v -> b.jdbcProperty("sslmode", v));
        o.string("prefix").ifPresent(b::prefix);
        o.string("owner").ifPresent(b::ownerId);
        o.integer("poolSize", 2, 10_000).ifPresent(b::poolSize);
        o.duration("timeout").ifPresent(b::timeout);
        o.duration("keepAlive").ifPresent(b::keepAlive);
        o.string("sequence").ifPresent(b::sequence);
        o.retryStrategy().ifPresent(b::retryStrategy);
        o.bool("transactionPooling").ifPresent(b::transactionPooling);
        o.rejectUnknown();
        return b.build();
    }

    private static String hostPort(URI uri) {
        String host = uri.getHost();
        return host + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
    }
}
