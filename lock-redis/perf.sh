#!/usr/bin/env bash
# Runs RedisPerfHarness against a Redis server (default the loopback one): uncontended
# acquire+release/s of dlock vs raw Jedis, and release-to-next-holder handoff latency.
# Usage: lock-redis/perf.sh [host] [port] [seconds-per-round] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -pl lock-redis -am test-compile dependency:build-classpath -Dmdep.outputFile=target/perf-classpath.txt -Dmdep.includeScope=test
cp="lock-redis/target/test-classes:lock-redis/target/classes:lock-core/target/classes:lock-testkit/target/classes:$(cat lock-redis/target/perf-classpath.txt)"
exec java -Xms512m -Xmx512m -cp "$cp" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn io.github.dlock.redis.RedisPerfHarness "$@"
