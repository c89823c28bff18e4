package io.github.dlock.redis;

import io.github.dlock.LockBackendException;
import io.github.dlock.internal.ProviderRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The servers a provider locks on, and calls on all of them at once. One server is simply a
 * quorum of one (run inline on the caller's thread, no other threads). Redlock's N servers
 * are called in parallel on pooled threads that grow with the number of concurrent callers,
 * and a call returns as soon as the answers so far are {@link Gathered enough} for the
 * caller's decision (e.g. a majority granted) and every server that is making progress has
 * answered. A server is making progress while it answered a call, or was sent its first call
 * since it last had none in flight, less than {@value #STALL_MILLIS} ms (or four of its usual
 * answer times, if longer) ago. Waiting for
 * those keeps healthy servers in step: callers that went on at the pace of the fastest
 * majority used to leave the other servers' calls queued behind their connections, one thread
 * each, until thousands of threads fought over the CPUs, and the stragglers' late grants and
 * releases left holds behind. A stalled minority costs a caller at most {@value #STALL_MILLIS}
 * ms once (then nothing but its own calls, left to finish in the background); so does one whose
 * answer would decide a waiting acquisition's attempt that the others made a refusal (two of
 * three servers split it), once its answer time is known or a call waited out the timeout for
 * it: the attempt is then refused and retried rather than sit out the timeout holding what it
 * got. A server
 * with as many calls left behind unanswered on threads as it has connections gets no more
 * acquire attempts, renewals or queries (they fail at once as {@link NotKeepingUp}), while its
 * releases and give-backs queue for one thread of their own, in order (at most
 * {@value #MAX_BACKLOG}, then dropped); so the threads waiting on a stalled server stay
 * bounded by its pool size plus one call per caller plus one. Queued calls do not count
 * toward refusing it: a slow but healthy server working through a queue of releases must
 * still get renewals (review, 2026-11-25). Answers that arrive after the call returned are
 * handed to the caller's late handler (e.g. a late grant of a failed acquisition is given
 * back). Calls are bounded by a timeout and not cut short by
 * the caller's interrupt (its status is kept): abandoning a half-finished quorum call would
 * leave holds behind.
 */
final class Quorum implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Quorum.class);
    /** One server's answer: a value or the failure. */
    record Reply<R>(RedisNode node, R value, RuntimeException error) {
        boolean ok() {
            return error == null;
        }
    }

    /**
     * A call a server was not sent because it is not keeping up (see the class comment): the
     * server never saw it, so nothing it did there needs undoing.
     */
    static final class NotKeepingUp extends LockBackendException {
        private static final long serialVersionUID = 1L;

        NotKeepingUp(String message) {
            super(message);
        }
    }

    /** Whether {@code reply} failed because its call was never sent (see {@link NotKeepingUp}). */
    static boolean notSent(Reply<?> reply) {
        return reply.error() instanceof NotKeepingUp;
    }

    /**
     * The most releases and give-backs queued for one server that is not keeping up; beyond it
     * they are dropped (with a warning): the holds they were for expire on that server after
     * their lease, which delays the next holder there but never admits two.
     */
    static final int MAX_BACKLOG = 1024;

    private static final long DROP_WARNING_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** How long a server with calls in flight may stay silent before calls stop waiting for it. */
    static final long STALL_MILLIS = 50;
    private static final long STALL_NANOS = TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS);

    private final List<RedisNode> nodes;
    private final ExecutorService parallel;
    private final long callTimeoutNanos;
    private final int perServerLimit;
    private final Progress[] progress;

    /**
     * @param perServerLimit the most calls left behind unanswered on one server before further
     *     calls to it fail at once (its connection pool size: more would only queue for a connection)
     */
    Quorum(List<RedisNode> nodes, Duration callTimeout, int perServerLimit) {
        if (perServerLimit < 1) throw new IllegalArgumentException("perServerLimit must be positive: " + perServerLimit);
        this.nodes = List.copyOf(nodes);
        this.parallel = nodes.size() == 1 ? null : Executors.newCachedThreadPool(ProviderRuntime.daemonThreads("dlock-redlock"));
        this.callTimeoutNanos = callTimeout.toNanos();
        this.perServerLimit = perServerLimit;
        this.progress = new Progress[this.nodes.size()];
        for (int i = 0; i < this.nodes.size(); i++) progress[i] = new Progress();
    }

    /** One server's calls: in flight, left behind by calls that returned, and when it last made progress. */
    private static final class Progress {
        /** Releases and give-backs for a server that is not keeping up, one at a time, in order. */
        final ExecutorService backlog = Executors.newSingleThreadExecutor(ProviderRuntime.daemonThreads("dlock-redlock-backlog"));
        final AtomicInteger queued = new AtomicInteger(); // calls waiting in or running on backlog
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger late = new AtomicInteger();
        volatile long since = System.nanoTime(); // the last answer, or the first call sent since none was in flight
        /** Smoothed time this server takes to answer (successful calls only: a timed-out call says nothing of it); 0 until its first answer. */
        volatile long answerNanos;
        /**
         * A call waited its whole timeout for this server, or failed only after half of it (a socket
         * timeout; a stopped server's kernel still accepts connections): a server that never answered
         * is then known to be stalled, not slow.
         */
        volatile boolean silentForACall;

        private final AtomicLong lastDropWarning = new AtomicLong(System.nanoTime() - DROP_WARNING_NANOS);

        /** True at most once per {@link #DROP_WARNING_NANOS}. */
        boolean shouldWarnOfDrops() {
            long last = lastDropWarning.get();
            long now = System.nanoTime();
            return now - last >= DROP_WARNING_NANOS && lastDropWarning.compareAndSet(last, now);
        }

        void sent(long now) {
            if (inFlight.getAndIncrement() == 0) since = now;
        }

        /**
         * @param sentAt when the answered call was sent; {@code ok}: whether the server answered it (not a failure)
         * @param silentAfter how long a failed call must have taken to count as silence (a socket timeout)
         */
        void answered(long sentAt, boolean ok, long silentAfter) {
            long now = System.nanoTime();
            since = now;
            long took = now - sentAt;
            if (!ok && took >= silentAfter) silentForACall = true;
            if (ok) {
                long smoothed = answerNanos; // racing updates lose a sample at worst
                answerNanos = smoothed == 0 ? took : smoothed + (took - smoothed) / 8;
            }
            inFlight.decrementAndGet();
        }

        /**
         * Until when a call waits for this server's answer: while it answered, or began a busy
         * spell, less than {@value #STALL_MILLIS} ms or four of its usual answer times ago,
         * whichever is longer (a server 80 ms away is not stalled at 50 ms).
         */
        long waitedUntil() {
            return since + Math.max(STALL_NANOS, 4 * answerNanos);
        }
    }

    int size() {
        return nodes.size();
    }

    /** More than half of the servers. */
    int majority() {
        return nodes.size() / 2 + 1;
    }

    List<RedisNode> nodes() {
        return nodes;
    }

    /**
     * Runs {@code call} on every server until {@code okNeeded} servers answered without error
     * (else until all answered or the timeout passed, so a failure reports every server);
     * later answers are ignored.
     */
    <R> List<Reply<R>> onSome(int okNeeded, Function<RedisNode, R> call) {
        return onSome(nodes, okNeeded, call);
    }

    /** As {@link #onSome(int, Function)} on the given servers only. */
    <R> List<Reply<R>> onSome(List<RedisNode> servers, int okNeeded, Function<RedisNode, R> call) {
        return gather(servers, call, okAtLeast(okNeeded), never(), false).settle(ignored -> {});
    }

    /**
     * Sends {@code call} to {@code servers}, never refused (queued behind a backlog like a
     * release), and returns once every server that is making progress answered: a stalled one
     * costs at most {@value #STALL_MILLIS} ms once, and its answer is left to the background.
     * For give-backs: the caller's next attempt then finds them done on healthy servers.
     */
    <R> void onThoseInStep(List<RedisNode> servers, Function<RedisNode, R> call) {
        gather(servers, call, replies -> true, never(), false).settle(ignored -> {});
    }

    /** A predicate for {@link #until}: {@code okNeeded} answers without error. */
    static <R> Predicate<List<Reply<R>>> okAtLeast(int okNeeded) {
        return replies -> {
            int ok = 0;
            for (Reply<R> r : replies) {
                if (r.ok()) ok++;
            }
            return ok >= okNeeded;
        };
    }

    /**
     * Runs {@code call} on {@code servers} and returns once the answers so far satisfy
     * {@code enough} and the grace for servers in step has passed or they answered (see the
     * class comment), all answered, or the call timeout passed. The caller must then
     * {@link Gathered#settle settle} the result, saying what to do with answers still to come.
     * {@code enough} runs on the caller's thread.
     */
    <R> Gathered<R> until(List<RedisNode> servers, Function<RedisNode, R> call, Predicate<List<Reply<R>>> enough) {
        return gather(servers, call, enough, never(), true);
    }

    /**
     * As {@link #until(List, Function, Predicate)}, where the call also stops waiting for
     * stalled servers while the answers so far are not {@code enough} but {@code settledWithout}
     * them: for a waiting acquisition's attempt that enough servers answered to make it a refusal
     * (one it retries), not a failure. A server counts as stalled once it was silent for {@value
     * #STALL_MILLIS} ms or four of its usual answer times, whichever is longer; one that never
     * answered yet only once a call waited out its timeout for it.
     */
    <R> Gathered<R> until(List<RedisNode> servers, Function<RedisNode, R> call, Predicate<List<Reply<R>>> enough,
            Predicate<List<Reply<R>>> settledWithout) {
        return gather(servers, call, enough, settledWithout, true);
    }

    private static <R> Predicate<List<Reply<R>>> never() {
        return replies -> false;
    }

    /**
     * {@link #until}; {@code mayRefuse}: whether a server that is not keeping up is skipped (an
     * acquire attempt, a renewal or a query: skipping it costs nothing that is not retried) or
     * sent the call after the others it owes, one at a time on a thread of its own ({@link
     * #onSome}: releases and give-backs, which must reach it, else a hold stays for its lease).
     */
    private <R> Gathered<R> gather(List<RedisNode> servers, Function<RedisNode, R> call, Predicate<List<Reply<R>>> enough,
            Predicate<List<Reply<R>>> settledWithout, boolean mayRefuse) {
        Gathered<R> gathered = new Gathered<>(servers.size(), parallel != null);
        if (parallel == null) {
            for (RedisNode node : servers) gathered.replies.add(run(node, call));
            return gathered;
        }
        long start = System.nanoTime();
        int submitted = 0;
        for (RedisNode node : servers) {
            Progress server = progress[indexOf(node)];
            // calls left behind that hold a thread (those queued on the backlog hold none): a renewal or an acquire
            // attempt must not be refused for a queue of releases it could overtake (review: a hold renewable on two
            // healthy servers was lost while the 80 ms one worked through its releases)
            int behind = server.late.get() - server.queued.get();
            boolean overflow = behind >= perServerLimit;
            if (overflow && (mayRefuse || server.queued.get() >= MAX_BACKLOG)) {
                if (!mayRefuse && server.shouldWarnOfDrops()) {
                    LOG.warn("Redis {} is not keeping up: {} releases are queued for it; dropping more (their holds there expire after their lease)",
                            node, MAX_BACKLOG);
                }
                gathered.replies.add(new Reply<>(node, null, new NotKeepingUp("Redis " + node + " is not keeping up: "
                        + Math.max(behind, 0) + " earlier calls to it are still unanswered" + (server.queued.get() > 0 ? ", " + server.queued.get()
                        + " releases queued" : ""))));
                continue;
            }
            submitted++;
            server.sent(start);
            Runnable call1 = () -> {
                Reply<R> reply = run(node, call);
                server.answered(start, reply.ok(), callTimeoutNanos / 2);
                gathered.arrive(reply, server.late::decrementAndGet);
            };
            Runnable task = call1;
            if (overflow) {
                server.queued.incrementAndGet();
                task = () -> {
                    try {
                        call1.run();
                    } finally {
                        server.queued.decrementAndGet();
                    }
                };
            }
            try {
                (overflow ? server.backlog : parallel).execute(task);
            } catch (RejectedExecutionException closing) {
                // close() is draining: a late give-back or the rest of a release still reaches the
                // server (the nodes close only after the drain); once they are closed, this fails fast
                task.run();
            }
        }
        long deadline = start + callTimeoutNanos;
        boolean interrupted = false;
        int expected = gathered.replies.size() + submitted;
        while (gathered.replies.size() < expected) {
            long now = System.nanoTime();
            long wait = deadline - now;
            // decided: wait only for the servers in step. Undecided but settled without the silent servers (a
            // waiting acquisition's refusal): the same, as a stalled server decides nothing in time either (review
            // p7: with one of three servers stopped, every attempt the other two split sat out the call timeout
            // holding its grant); otherwise (e.g. too few answers yet) until the timeout
            boolean decided = enough.test(gathered.replies);
            if (decided || settledWithout.test(gathered.replies)) {
                wait = Math.min(wait, waitedUntil(gathered.replies, servers, now, !decided) - now);
            }
            if (wait <= 0) break;
            try {
                Reply<R> reply = gathered.arrived.poll(wait, TimeUnit.NANOSECONDS);
                if (reply != null) gathered.replies.add(reply);
            } catch (InterruptedException e) {
                interrupted = true; // finish the call (bounded by the timeout); the caller's wait loop reacts
            }
        }
        List<RedisNode> answered = gathered.stopGathering();
        boolean timedOut = System.nanoTime() - deadline >= 0;
        for (RedisNode node : servers) {
            if (!answered.contains(node)) {
                progress[indexOf(node)].late.incrementAndGet();
                if (timedOut) progress[indexOf(node)].silentForACall = true;
                gathered.timedOut.add(new Reply<>(node, null, new LockBackendException("Redis " + node + " did not answer in time")));
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        return gathered;
    }

    /**
     * Until when a call still waits: the latest {@link Progress#waitedUntil} of the servers yet
     * to answer; for an {@code undecided} call, for ever (the call timeout) if one of them never
     * answered yet, so its usual answer time is unknown (a first call, on a new connection, to a
     * server 80 ms away), unless a call waited its whole timeout for it.
     */
    private <R> long waitedUntil(List<Reply<R>> replies, List<RedisNode> servers, long now, boolean undecided) {
        long until = now; // none to wait for
        for (RedisNode node : servers) {
            boolean answered = false;
            for (Reply<R> r : replies) {
                if (r.node() == node) {
                    answered = true;
                    break;
                }
            }
            if (answered) continue;
            Progress server = progress[indexOf(node)];
            if (undecided && server.answerNanos == 0 && !server.silentForACall) return now + Long.MAX_VALUE / 4;
            if (server.waitedUntil() - until > 0) until = server.waitedUntil();
        }
        return until;
    }

    private int indexOf(RedisNode node) {
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i) == node) return i;
        }
        throw new IllegalArgumentException("not one of this quorum's servers: " + node);
    }

    private static <R> Reply<R> run(RedisNode node, Function<RedisNode, R> call) {
        try {
            return new Reply<>(node, call.apply(node), null);
        } catch (RuntimeException e) {
            return new Reply<>(node, null, e);
        }
    }

    long roundTrips() {
        return nodes.stream().mapToLong(RedisNode::roundTrips).sum();
    }

    @Override
    public void close() {
        List<ExecutorService> executors = new ArrayList<>();
        if (parallel != null) executors.add(parallel);
        for (Progress p : progress) executors.add(p.backlog);
        executors.forEach(ExecutorService::shutdown); // calls still running or queued (a give-back, the rest of a release) finish first, bounded
        long deadline = System.nanoTime() + 2 * callTimeoutNanos + 1_000_000_000L;
        for (ExecutorService e : executors) {
            try {
                if (!e.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) e.shutdownNow();
            } catch (InterruptedException interrupted) {
                executors.forEach(ExecutorService::shutdownNow);
                Thread.currentThread().interrupt();
                break;
            }
        }
        nodes.forEach(RedisNode::close);
    }

    /**
     * The answers of one quorum call: those gathered before it returned, and those still to
     * come, which go to the handler given to {@link #settle} (on the thread that received
     * them, or the settling thread for answers that came in between).
     */
    static final class Gathered<R> {
        private final List<Reply<R>> replies;
        private final List<Reply<R>> timedOut = new ArrayList<>(0);
        // null when every call ran on the caller's thread (one server): no answer can come late
        private final BlockingQueue<Reply<R>> arrived;
        private final ReentrantLock lock;
        private final List<Reply<R>> lateUnhandled = new ArrayList<>(0); // guarded by lock
        private boolean gathering = true; // guarded by lock
        private Consumer<Reply<R>> lateHandler; // guarded by lock

        /** @param concurrent whether calls run on other threads (and answers may come after the call returned) */
        Gathered(int servers, boolean concurrent) {
            this.replies = new ArrayList<>(servers);
            this.arrived = concurrent ? new LinkedBlockingQueue<>() : null;
            this.lock = concurrent ? new ReentrantLock() : null;
        }

        /** The answers gathered in time. */
        List<Reply<R>> replies() {
            return java.util.Collections.unmodifiableList(replies);
        }

        /** The answers gathered in time, then a "did not answer in time" failure for each server still silent. */
        List<Reply<R>> repliesAndSilence() {
            if (timedOut.isEmpty()) return replies();
            List<Reply<R>> all = new ArrayList<>(replies);
            all.addAll(timedOut);
            return all;
        }

        /** Hands every answer still to come (or come since the call returned) to {@code late}; returns {@link #repliesAndSilence}. */
        List<Reply<R>> settle(Consumer<Reply<R>> late) {
            if (lock == null) return repliesAndSilence(); // every answer is in
            List<Reply<R>> pending;
            lock.lock();
            try {
                lateHandler = late;
                pending = new ArrayList<>(lateUnhandled);
                lateUnhandled.clear();
            } finally {
                lock.unlock();
            }
            pending.forEach(late);
            return repliesAndSilence();
        }

        /**
         * Delivers one answer; one that came after the call returned first runs {@code late}
         * (before the late handler, which may call the same server again), then goes to the late handler.
         */
        private void arrive(Reply<R> reply, Runnable late) {
            Consumer<Reply<R>> handler;
            lock.lock();
            try {
                if (gathering) {
                    arrived.add(reply);
                    return;
                }
                handler = lateHandler;
                if (handler == null) {
                    lateUnhandled.add(reply);
                }
            } finally {
                lock.unlock();
            }
            late.run();
            if (handler != null) handler.accept(reply);
        }

        /**
         * Ends the gathering: answers that arrived but were not taken yet count as gathered (so
         * none is late that was in before the call returned). Returns the servers that answered.
         */
        private List<RedisNode> stopGathering() {
            lock.lock();
            try {
                gathering = false;
                arrived.drainTo(replies);
            } finally {
                lock.unlock();
            }
            List<RedisNode> answered = new ArrayList<>(replies.size());
            for (Reply<R> r : replies) answered.add(r.node());
            return answered;
        }
    }
}
