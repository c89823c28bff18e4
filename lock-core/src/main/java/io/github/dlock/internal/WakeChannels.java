package io.github.dlock.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Waiters' interest in release notifications, by channel: the first waiter on a channel makes
 * the backend subscribe (LISTEN, SUBSCRIBE), the last one leaving unsubscribes. A notification
 * wakes one waiter of its channel when every waiter there is {@linkplain #join(String, boolean)
 * one at a time} (a mutex, a semaphore permit: a release lets one in), and all of them
 * otherwise (reader-writer locks: a writer's release lets every reader in). Backends with
 * server-side notifications share this bookkeeping and only supply the subscribe/unsubscribe
 * actions.
 */
public final class WakeChannels {
    private final ReentrantLock lock = new ReentrantLock(); // not a monitor: the callbacks may write to a socket
    private final Map<String, Interest> interests = new HashMap<>(); // guarded by lock
    private final Consumer<String> onFirstWaiter;
    private final Consumer<String> onLastWaiterGone;

    /**
     * The callbacks run under this object's lock (so subscribes and unsubscribes of a channel
     * reach the backend in order), so they must not block for long.
     */
    public WakeChannels(Consumer<String> onFirstWaiter, Consumer<String> onLastWaiterGone) {
        this.onFirstWaiter = onFirstWaiter;
        this.onLastWaiterGone = onLastWaiterGone;
    }

    /** Registers a waiter on {@code channel} that a notification may let in with others; pair with {@link #leave(String)}. */
    public WakeSignal join(String channel) {
        return join(channel, false);
    }

    /**
     * Registers a waiter on {@code channel}; pair with {@link #leave(String, boolean)} with the
     * same {@code oneAtATime}.
     *
     * @param oneAtATime true if a notification on {@code channel} can let in this waiter or
     *     another one of its kind, never two: a mutex, a semaphore permit
     */
    public WakeSignal join(String channel, boolean oneAtATime) {
        lock.lock();
        try {
            Interest interest = interests.computeIfAbsent(channel, c -> new Interest());
            if (interest.waiters++ == 0) onFirstWaiter.accept(channel);
            if (!oneAtATime) interest.manyAtATime++;
            return interest.signal;
        } finally {
            lock.unlock();
        }
    }

    /** Ends the interest of one waiter that {@link #join(String) joined} {@code channel}. */
    public void leave(String channel) {
        leave(channel, false);
    }

    /** Ends the interest of one waiter that {@link #join(String, boolean) joined} {@code channel}. */
    public void leave(String channel, boolean oneAtATime) {
        lock.lock();
        try {
            Interest interest = interests.get(channel);
            if (interest == null) return;
            if (!oneAtATime) interest.manyAtATime--;
            if (--interest.waiters == 0) {
                interests.remove(channel);
                onLastWaiterGone.accept(channel);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The signal of {@code channel}'s waiters, or null if none is {@linkplain #join joined} now. */
    public WakeSignal joined(String channel) {
        lock.lock();
        try {
            Interest interest = interests.get(channel);
            return interest == null ? null : interest.signal;
        } finally {
            lock.unlock();
        }
    }

    /** A release was announced on {@code channel}: wakes one waiter or all of them (see the class comment). */
    public void notify(String channel) {
        Interest interest;
        boolean one;
        lock.lock();
        try {
            interest = interests.get(channel);
            one = interest != null && interest.manyAtATime == 0;
        } finally {
            lock.unlock();
        }
        if (interest == null) return;
        if (one) {
            interest.signal.signalOne();
        } else {
            interest.signal.signalAll();
        }
    }

    /** Wakes every waiter, e.g. after a reconnect during which notifications may have been missed. */
    public void wakeEveryone() {
        List<Interest> all;
        lock.lock();
        try {
            all = new ArrayList<>(interests.values());
        } finally {
            lock.unlock();
        }
        all.forEach(i -> i.signal.signalAll());
    }

    /** The channels somebody waits on now, e.g. to subscribe again after a reconnect. */
    public Set<String> channels() {
        lock.lock();
        try {
            return Set.copyOf(interests.keySet());
        } finally {
            lock.unlock();
        }
    }

    private static final class Interest {
        final WakeSignal signal = new WakeSignal();
        int waiters;
        int manyAtATime; // waiters that joined with oneAtATime false
    }
}
