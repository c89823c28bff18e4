#!/usr/bin/env bash
# Runs RedisTopologyPerfHarness: a Redis Cluster (3 masters + 3 replicas) beside one standalone server,
# both started here: uncontended rate, handoff, spread of 10,000 names, renewal round trips per master.
# Usage: lock-redis/perf-topologies.sh [seconds-per-round] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -pl lock-redis -am test-compile dependency:build-classpath -Dmdep.outputFile=target/perf-classpath.txt -Dmdep.includeScope=test
cp="lock-redis/target/test-classes:lock-redis/target/classes:lock-core/target/classes:lock-testkit/target/classes:$(cat lock-redis/target/perf-classpath.txt)"
exec java -Xms512m -Xmx512m -cp "$cp" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn io.github.dlock.redis.RedisTopologyPerfHarness "$@"
