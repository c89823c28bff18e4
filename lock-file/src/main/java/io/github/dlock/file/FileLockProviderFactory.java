package io.github.dlock.file;

import io.github.dlock.LockProvider;
import io.github.dlock.spi.LockProviderFactory;
import io.github.dlock.internal.ProviderOptions;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Opens {@link FileLockProvider}s for {@code file:///absolute/directory} URLs. Options:
 * {@code owner} (owner id), {@code retry} ({@code exponential:1ms:50ms},
 * {@code fixed:10ms}, {@code linear:1ms:5ms:100ms}) and {@code maxAttempts}.
 */
public final class FileLockProviderFactory implements LockProviderFactory {

    @Override
    public Set<String> schemes() {
        return Set.of("file");
    }

    @Override
    public LockProvider create(URI uri, Map<String, String> options) {
        if (uri.isOpaque() || uri.getPath() == null || !uri.getPath().startsWith("/")) {
            throw new IllegalArgumentException("file URL must name an absolute directory, like file:///var/lock/app: " + uri);
        }
        if (uri.getAuthority() != null && !uri.getAuthority().isEmpty()) {
            throw new IllegalArgumentException("file URL must not name a host (use file:///path): " + uri);
        }
        if (uri.getFragment() != null) throw new IllegalArgumentException("file URL must not have a fragment: " + uri);
        ProviderOptions o = new ProviderOptions("file", options);
        FileLockProvider.Builder builder = FileLockProvider.builder().directory(Path.of(uri.getPath()));
        o.string("owner").ifPresent(builder::ownerId);
        o.retryStrategy().ifPresent(builder::retryStrategy);
        o.rejectUnknown();
        return builder.build();
    }
}
