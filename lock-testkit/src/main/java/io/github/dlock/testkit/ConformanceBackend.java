package io.github.dlock.testkit;

import io.github.dlock.LockMode;
import io.github.dlock.LockProvider;

/** What a backend's tests supply to the conformance kit. */
public interface ConformanceBackend {

    /**
     * A new provider on the backend's test store; the kit closes it.
     *
     * @return a new, open provider
     */
    LockProvider openProvider();

    /**
     * A URL for {@link LockProvider#open(String)} on the same store, used by child JVMs.
     *
     * @return the store's URL, with any options the backend's tests need
     */
    String providerUrl();

    /**
     * What exists in the store outside the namespace the providers of {@link #openProvider}
     * may write to (files beside the lock directory, Redis keys without the prefix, database
     * relations), so that the kit can check that no lock name escaped it. Empty when the
     * backend cannot tell.
     *
     * @return names of what exists outside the namespace; empty in this default
     * @throws Exception if the store cannot be inspected
     */
    default java.util.Set<String> outsideNamespace() throws Exception {
        return java.util.Set.of();
    }

    /**
     * A new provider on the same store as {@link #openProvider}, opened from
     * {@link #providerUrl()} with {@code options} (URL query syntax, e.g. {@code retry=fixed:1m})
     * added; the kit closes it.
     *
     * @param options options in URL query syntax, without a leading {@code ?} or {@code &}
     * @return a new, open provider
     */
    default LockProvider openProvider(String options) {
        return LockProvider.open(withOptions(providerUrl(), options));
    }

    /**
     * {@code url} with {@code options} added to its query, before a {@code #fragment} (as in
     * {@code redis-sentinel://...#master}).
     *
     * @param url a provider URL
     * @param options options in URL query syntax, without a leading {@code ?} or {@code &}
     * @return the URL with the options
     */
    static String withOptions(String url, String options) {
        int hash = url.indexOf('#');
        String head = hash < 0 ? url : url.substring(0, hash);
        String tail = hash < 0 ? "" : url.substring(hash);
        return head + (head.contains("?") ? "&" : "?") + options + tail;
    }

    /**
     * Takes the lock {@code name} away from its holder from outside every provider, as a failure
     * or an operator would, so that the holder's provider finds out only through its own loss
     * detection: the file backend deletes the lock file, Redis deletes the key on every server,
     * PostgreSQL terminates the session holding the advisory lock. {@code mode} names the kind
     * held: {@link LockMode#EXCLUSIVE} for {@code lock(name)}, {@link LockMode#WRITE} for
     * {@code readWriteLock(name).writeLock()}, {@link LockMode#PERMIT} for
     * {@code semaphore(name, 1)}; the lock was taken through a provider of {@link #providerUrl()}.
     *
     * @param name the lock's name
     * @param mode the kind of lock held, as above
     * @throws Exception if the store cannot be reached or the lock cannot be broken
     */
    void breakLockExternally(String name, LockMode mode) throws Exception;

    /**
     * Whether handles have leases (then {@code extend} must work rather than refuse).
     *
     * @return {@code false} in this default
     */
    default boolean hasLeases() {
        return false;
    }
}
