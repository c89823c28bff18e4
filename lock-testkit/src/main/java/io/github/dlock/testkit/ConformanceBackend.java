package io.github.dlock.testkit;

import io.github.dlock.LockProvider;

/** What a backend's tests supply to the conformance kit. */
public interface ConformanceBackend {

    /** A new provider on the backend's test store; the kit closes it. */
    LockProvider openProvider();

    /** A URL for {@link LockProvider#open(String)} on the same store, used by child JVMs. */
    String providerUrl();

    /**
     * What exists in the store outside the namespace the providers of {@link #openProvider}
     * may write to (files beside the lock directory, Redis keys without the prefix, database
     * relations), so that the kit can check that no lock name escaped it. Empty when the
     * backend cannot tell.
     */
    default java.util.Set<String> outsideNamespace() throws Exception {
        return java.util.Set.of();
    }

    /** Whether handles have leases (then {@code extend} must work rather than refuse). */
    default boolean hasLeases() {
        return false;
    }
}
