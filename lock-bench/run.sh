#!/usr/bin/env bash
# Runs every lock-bench benchmark in one go and writes docs/benchmarks.md, docs/benchmarks.png
# and the raw JMH JSON (docs/benchmarks-jmh-*.json).
#   lock-bench/run.sh quick   # about 14 minutes on 2 cores
#   lock-bench/run.sh full    # about 25 minutes
#   lock-bench/run.sh smoke   # about 2 minutes: checks that everything runs (writes to target/bench-smoke)
#   lock-bench/run.sh quick postgres Mutex   # only these pairs (writes to target/bench-partial)
#   lock-bench/run.sh quick rate vthreads    # only these parts (handoff, cache, rate, vthreads, renewal)
# Needs the loopback Redis (or $DLOCK_REDIS_URL) and PostgreSQL (or $DLOCK_POSTGRES_URL), and
# redis-server and redis-cli on the PATH: three extra servers for Redlock and a Redis Cluster of
# three masters are started on free ports and stopped (by PID) when the script ends.
set -euo pipefail
mode=${1:-quick}
shift || true
case "$mode" in quick|full) out=docs ;; smoke) out=lock-bench/target/bench-smoke ;; *) echo "usage: $0 [quick|full|smoke] [PAIR...]" >&2; exit 64 ;; esac
if [ $# -gt 0 ]; then out=lock-bench/target/bench-partial; fi
cd "$(dirname "$0")/.."

mvn -B -q -DskipTests package -pl lock-bench -am

free_port() {
  local p
  while true; do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
}

# A port that is free and whose cluster bus port (+10000) is free too.
free_cluster_port() {
  local p
  while true; do
    p=$(free_port)
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$((p + 10000))") 2>/dev/null; then echo "$p"; return; fi
  done
}

pids=()
cluster_dir=$(mktemp -d)
stop_servers() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$cluster_dir"; }
trap stop_servers EXIT

# Keep every CPU out of idle states with lowest-priority spinners (they yield to any real work).
# On a VM, waking an idle CPU costs more than a loopback round trip: a lone thread doing blocking
# round trips measured 2,289 ops/s on the Jedis floor without them and 12,456 with one running,
# so single-thread figures would measure the scheduler, not the libraries.
for _ in $(seq 1 "$(nproc)"); do
  nice -n 19 sh -c 'while :; do :; done' &
  pids+=("$!")
done

servers=()
for _ in 1 2 3; do
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --loglevel warning >/dev/null &
  pids+=("$!")
  servers+=("127.0.0.1:$port")
done
for server in "${servers[@]}"; do
  for _ in $(seq 1 50); do redis-cli -p "${server##*:}" ping >/dev/null 2>&1 && break; sleep 0.1; done
done

cluster=()
for _ in 1 2 3; do
  port=$(free_cluster_port)
  redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "$cluster_dir/nodes-$port.conf" \
    --dir "$cluster_dir" --save "" --appendonly no --daemonize no --loglevel warning >/dev/null &
  pids+=("$!")
  cluster+=("127.0.0.1:$port")
done
for server in "${cluster[@]}"; do
  for _ in $(seq 1 50); do redis-cli -p "${server##*:}" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
redis-cli --cluster create "${cluster[@]}" --cluster-replicas 0 --cluster-yes >/dev/null
for server in "${cluster[@]}"; do
  for _ in $(seq 1 100); do redis-cli -p "${server##*:}" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && break; sleep 0.1; done
done

export DLOCK_REDLOCK_URL="redis://$(IFS=,; echo "${servers[*]}")"
export DLOCK_CLUSTER_URL="redis-cluster://$(IFS=,; echo "${cluster[*]}")"
# The virtual-thread comparison runs in a JVM of its own on the newest JDK 21+ installed (the build targets 17).
if [ -z "${DLOCK_BENCH_JAVA21:-}" ]; then
  for jdk in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -V -r); do
    v=$("$jdk/bin/java" -XshowSettings:properties -version 2>&1 | sed -n -E 's/^ *java.specification.version = ([0-9]+)$/\1/p')
    if [ -n "$v" ] && [ "$v" -ge 21 ]; then export DLOCK_BENCH_JAVA21="$jdk/bin/java"; break; fi
  done
fi
export DLOCK_REDIS_VERSION="$(redis-server --version | sed -E 's/.*v=([0-9.]+).*/\1/')"
echo "bench: mode $mode, Redlock on $DLOCK_REDLOCK_URL, cluster on $DLOCK_CLUSTER_URL, virtual threads on ${DLOCK_BENCH_JAVA21:-no JDK 21+}"
java -Djava.awt.headless=true -cp "lock-bench/target/classes:$(cat lock-bench/target/classpath.txt)" \
  io.github.dlock.bench.BenchMain "$mode" "$out" "$@"
