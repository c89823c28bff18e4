package io.github.dlock.redis;

import io.github.dlock.internal.LeaseRenewer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renews many leases in one pipelined round trip per server. A lease counts as renewed when
 * its quorum of servers renewed it, and as gone when so many servers no longer hold it that
 * the quorum is out of reach; anything else (servers not answering) is a failure to retry.
 */
final class RedisLeaseBatch implements LeaseRenewer.Batch<RedisHeldLock> {
    private final Quorum quorum;
    private final int replicas;
    private final long replicaTimeoutMs;

    /**
     * @param replicas replicas of each server that must confirm a renewal ({@code WAIT}) before
     *     it counts, so that a failover to a replica keeps every lease its holder counts on; 0 for none
     */
    RedisLeaseBatch(Quorum quorum, int replicas, long replicaTimeoutMs) {
        this.quorum = quorum;
        this.replicas = replicas;
        this.replicaTimeoutMs = replicaTimeoutMs;
    }

    @Override
    public Map<RedisHeldLock, LeaseRenewer.Outcome> renew(Collection<RedisHeldLock> locks, Duration leaseDuration) {
        List<RedisHeldLock> list = new ArrayList<>(locks);
        List<RedisNode.Call> calls = calls(list, leaseDuration);
        List<Quorum.Reply<List<Object>>> perServer = quorum.until(quorum.nodes(), node -> node.evalBatch(calls, replicas, replicaTimeoutMs), replies -> decided(list, replies))
                .settle(late -> {});
        Map<RedisHeldLock, LeaseRenewer.Outcome> outcomes = new HashMap<>(list.size() * 2);
        for (int i = 0; i < list.size(); i++) {
            int renewed = 0;
            int gone = 0;
            for (Quorum.Reply<List<Object>> server : perServer) {
                if (!server.ok()) continue;
                Object reply = server.value().get(i);
                if (Long.valueOf(1).equals(reply)) renewed++;
                else if (Long.valueOf(0).equals(reply)) gone++;
            }
            RedisHeldLock lock = list.get(i);
            outcomes.put(lock, renewed >= lock.quorum ? LeaseRenewer.Outcome.RENEWED
                    : gone > quorum.size() - lock.quorum ? LeaseRenewer.Outcome.GONE : LeaseRenewer.Outcome.FAILED);
        }
        return outcomes;
    }

    /**
     * On a Redis Cluster (one node, each lock on one master), each master's outcomes as soon as
     * its pipeline answered, so a stalled master holds back only its own locks' deadlines;
     * otherwise (a quorum of servers) the whole result at the end.
     */
    @Override
    public void renew(Collection<RedisHeldLock> locks, Duration leaseDuration, java.util.function.BiConsumer<RedisHeldLock, LeaseRenewer.Outcome> settled) {
        if (quorum.size() != 1 || !(quorum.nodes().get(0) instanceof RedisClusterNode cluster)) {
            renew(locks, leaseDuration).forEach(settled);
            return;
        }
        List<RedisHeldLock> list = new ArrayList<>(locks);
        List<RedisNode.Call> calls = calls(list, leaseDuration);
        try {
            cluster.evalBatch(calls, replicas, replicaTimeoutMs, (indexes, replies) -> {
                for (int i : indexes) {
                    Object reply = replies[i];
                    settled.accept(list.get(i), Long.valueOf(1).equals(reply) ? LeaseRenewer.Outcome.RENEWED
                            : Long.valueOf(0).equals(reply) ? LeaseRenewer.Outcome.GONE : LeaseRenewer.Outcome.FAILED);
                }
            });
        } catch (io.github.dlock.LockBackendException noMasterAnswered) {
            // every lock was reported FAILED with its master's reply already; the renewer retries
        }
    }

    private static List<RedisNode.Call> calls(List<RedisHeldLock> list, Duration leaseDuration) {
        List<RedisNode.Call> calls = new ArrayList<>(list.size());
        byte[] lease = Long.toString(leaseDuration.toMillis()).getBytes(StandardCharsets.US_ASCII);
        for (RedisHeldLock lock : list) {
            calls.add(new RedisNode.Call(lock.renewScript(), List.of(lock.holdKey), List.of(lock.token, lease)));
        }
        return calls;
    }

    /**
     * One pipelined call per server, every round: those that answer late are still sent. (On
     * a Redis Cluster, one per master that holds some of the leases: counted by the node.)
     */
    @Override
    public int roundTrips() {
        return quorum.size();
    }

    /** Whether every lock's outcome is certain from the servers that answered so far. */
    private boolean decided(List<RedisHeldLock> list, List<Quorum.Reply<List<Object>>> perServer) {
        int silent = quorum.size() - perServer.size();
        for (int i = 0; i < list.size(); i++) {
            int renewed = 0;
            for (Quorum.Reply<List<Object>> server : perServer) {
                if (server.ok() && Long.valueOf(1).equals(server.value().get(i))) renewed++;
            }
            int needed = list.get(i).quorum;
            if (renewed < needed && renewed + silent >= needed) return false;
        }
        return true;
    }
}
