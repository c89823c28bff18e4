package io.github.dlock;

/**
 * A reader-writer lock: any number of readers together, or one writer alone. Writer
 * preferring: once a writer waits, new readers queue behind it, so a stream of readers
 * cannot starve writers. Neither side is re-entrant and a read hold cannot be upgraded.
 */
public interface DistributedReadWriteLock {

    /**
     * The name given to the provider.
     *
     * @return the lock's name, exactly as passed to the provider
     */
    String name();

    /**
     * The shared side; its handles report {@link LockMode#READ}.
     *
     * @return the read lock of this name
     */
    DistributedLock readLock();

    /**
     * The exclusive side; its handles report {@link LockMode#WRITE}.
     *
     * @return the write lock of this name
     */
    DistributedLock writeLock();
}
