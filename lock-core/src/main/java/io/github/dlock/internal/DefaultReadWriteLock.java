package io.github.dlock.internal;

import io.github.dlock.DistributedLock;
import io.github.dlock.DistributedReadWriteLock;

/** Pairs a read side and a write side under one name. */
final class DefaultReadWriteLock implements DistributedReadWriteLock {
    private final String name;
    private final DistributedLock readLock;
    private final DistributedLock writeLock;

    DefaultReadWriteLock(String name, DistributedLock readLock, DistributedLock writeLock) {
        this.name = name;
        this.readLock = readLock;
        this.writeLock = writeLock;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public DistributedLock readLock() {
        return readLock;
    }

    @Override
    public DistributedLock writeLock() {
        return writeLock;
    }

    @Override
    public String toString() {
        return "DistributedReadWriteLock{" + readLock + "}";
    }
}
