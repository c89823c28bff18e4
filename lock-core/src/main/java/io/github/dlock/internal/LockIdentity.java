package io.github.dlock.internal;

/**
 * Implemented by core's locks so that {@link io.github.dlock.LockSet} can tell two lock objects
 * that stand for the same lock apart from different locks, and order locks of the same name
 * and mode on different providers. Not part of the public API.
 */
public interface LockIdentity {

    /**
     * A value equal for every lock object of the same provider, kind (mutex, read-write lock
     * — both sides —, semaphore) and name, and different otherwise.
     */
    Object lockIdentity();

    /**
     * The description of the lock's provider (e.g. {@code file:///var/lock/app}): it names the
     * store, so it is the same in every process that configures that store the same way, and
     * it never contains credentials.
     */
    String providerDescription();

    /**
     * A number unique to the lock's provider within this JVM, increasing in the order the
     * providers were created; orders providers whose descriptions are equal.
     */
    long providerSequence();
}
