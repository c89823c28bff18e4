package io.github.dlock.testkit;

import io.github.dlock.LockProvider;

/** What a backend's tests supply to the conformance kit. */
public interface ConformanceBackend {

    /** A new provider on the backend's test store; the kit closes it. */
    LockProvider openProvider();

    /** A URL for {@link LockProvider#open(String)} on the same store, used by child JVMs. */
    String providerUrl();

    /** Whether handles have leases (then {@code extend} must work rather than refuse). */
    default boolean hasLeases() {
        return false;
    }
}
