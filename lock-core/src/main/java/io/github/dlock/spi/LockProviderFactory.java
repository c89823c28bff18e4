package io.github.dlock.spi;

import io.github.dlock.LockProvider;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * Creates providers for URL schemes; found with {@link java.util.ServiceLoader} from
 * {@code META-INF/services/io.github.dlock.spi.LockProviderFactory}, which is how
 * {@link LockProvider#open(String)} picks a backend.
 */
public interface LockProviderFactory {

    /**
     * The URL schemes handled, lower case, e.g. {@code file} or {@code jdbc:postgresql}.
     *
     * @return the schemes; when two factories on the class path claim a scheme, the first
     *     found serves it
     */
    Set<String> schemes();

    /**
     * Creates a provider for {@code uri}. Options come from {@code options} only (the URL's
     * query parameters already merged in); unknown options must be rejected with a message
     * listing the known ones.
     *
     * @param uri the URL, parsed; for a JDBC URL without its {@code jdbc:} prefix
     * @param options the options by name: the URL's decoded query parameters together with
     *     those the caller passed to {@link LockProvider#open(String, Map)}
     * @return a new, open provider
     * @throws IllegalArgumentException for a malformed URL or a bad option
     * @throws io.github.dlock.LockBackendException if the store cannot be reached or set up
     */
    LockProvider create(URI uri, Map<String, String> options);
}
