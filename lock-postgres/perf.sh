#!/usr/bin/env bash
# Runs PostgresPerfHarness against $DLOCK_POSTGRES_URL (default the loopback server): uncontended
# acquire+release/s of dlock vs raw JDBC, and release-to-next-holder handoff latency.
# Usage: lock-postgres/perf.sh [seconds-per-round] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -pl lock-postgres -am test-compile dependency:build-classpath -Dmdep.outputFile=target/perf-classpath.txt -Dmdep.includeScope=test
cp="lock-postgres/target/test-classes:lock-postgres/target/classes:lock-core/target/classes:lock-testkit/target/classes:$(cat lock-postgres/target/perf-classpath.txt)"
exec java -Xms512m -Xmx512m -cp "$cp" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn io.github.dlock.postgres.PostgresPerfHarness "$@"
