package io.github.dlock;

/** How a lock is held; reported by {@link LockProvider#holders(String)}. */
public enum LockMode {
    /** The single holder of a mutual-exclusion lock ({@link LockProvider#lock(String)}). */
    EXCLUSIVE,
    /** One of possibly many readers of a {@link DistributedReadWriteLock}. */
    READ,
    /** The single writer of a {@link DistributedReadWriteLock}. */
    WRITE,
    /** One permit of a {@link DistributedSemaphore}. */
    PERMIT
}
