package io.github.dlock.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Waiters' interest in release notifications, by channel: the first waiter on a channel makes
 * the backend subscribe (LISTEN, SUBSCRIBE), the last one leaving unsubscribes, and a
 * notification wakes every waiter of its channel. Backends with server-side notifications
 * share this bookkeeping and only supply the subscribe/unsubscribe actions.
 */
public final class WakeChannels {
    private final Map<String, Interest> interests = new HashMap<>(); // guarded by this
    private final Consumer<String> onFirstWaiter;
    private final Consumer<String> onLastWaiterGone;

    /** The callbacks run under this object's lock, so they must not block for long. */
    public WakeChannels(Consumer<String> onFirstWaiter, Consumer<String> onLastWaiterGone) {
        this.onFirstWaiter = onFirstWaiter;
        this.onLastWaiterGone = onLastWaiterGone;
    }

    /** Registers a waiter on {@code channel}; pair with {@link #leave}. */
    public synchronized WakeSignal join(String channel) {
        Interest interest = interests.computeIfAbsent(channel, c -> new Interest());
        if (interest.waiters++ == 0) onFirstWaiter.accept(channel);
        return interest.signal;
    }

    public synchronized void leave(String channel) {
        Interest interest = interests.get(channel);
        if (interest != null && --interest.waiters == 0) {
            interests.remove(channel);
            onLastWaiterGone.accept(channel);
        }
    }

    /** A release was announced on {@code channel}. */
    public void notify(String channel) {
        Interest interest;
        synchronized (this) {
            interest = interests.get(channel);
        }
        if (interest != null) interest.signal.signalAll();
    }

    /** Wakes every waiter, e.g. after a reconnect during which notifications may have been missed. */
    public void wakeEveryone() {
        List<Interest> all;
        synchronized (this) {
            all = new ArrayList<>(interests.values());
        }
        all.forEach(i -> i.signal.signalAll());
    }

    /** The channels somebody waits on now, e.g. to subscribe again after a reconnect. */
    public synchronized Set<String> channels() {
        return Set.copyOf(interests.keySet());
    }

    private static final class Interest {
        final WakeSignal signal = new WakeSignal();
        int waiters;
    }
}
