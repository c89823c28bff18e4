package io.github.dlock.internal;

import io.github.dlock.LockHandle;
import io.github.dlock.LockLostException;

/**
 * The end of a hold around a piece of work, shared by every "run this under the lock" entry
 * point ({@code DistributedLock.withLock}/{@code callWithLock}, the Spring starter's
 * {@code @Locked}): the lock is released whatever happened, and work that returned normally
 * is reported as failed if the lock was lost, or taken away by {@code close()} of the
 * provider, while it ran.
 */
public final class Holds {
    private Holds() {}

    /**
     * For work that threw: releases the lock, adding a failed release to {@code failure} as
     * suppressed. The caller then rethrows {@code failure} as is.
     *
     * @param handle the hold the work ran under
     * @param failure what the work threw
     */
    public static void releaseAfterFailure(LockHandle handle, Throwable failure) {
        try {
            handle.release();
        } catch (RuntimeException releaseFailed) {
            failure.addSuppressed(releaseFailed);
        }
    }

    /**
     * For work that returned: releases the lock, then fails if the lock was lost before the
     * work returned ({@code close()} of the provider counts: it reports each lock it releases
     * as lost). Work that released the handle itself, and nothing was lost, is fine.
     *
     * @param handle the hold the work ran under
     * @param lockName the lock's name, for the message
     * @param work what ran, for the message (e.g. "the action")
     * @throws LockLostException if the lock was lost, or released by {@code close()} of its
     *     provider, before the work returned
     * @throws io.github.dlock.LockBackendException if the release failed (the lock was not lost)
     */
    public static void releaseAfterSuccess(LockHandle handle, String lockName, String work) {
        boolean lost = handle.isLost();
        boolean releasedUnderIt = handle.isReleased();
        handle.release();
        if (lost || handle.isLost()) {
            throw new LockLostException("lock " + Arguments.describe(lockName) + " was lost while " + work + " ran"
                    + (lost && releasedUnderIt ? " (released by close() of its provider, or lost and then released)" : ""));
        }
    }
}
