#!/usr/bin/env bash
# Runs the torture suite (see docs/reliability.md) on every backend for a chosen time and prints
# each backend's report; the test run by `mvn verify` is the same suite for 60 s.
#   scripts/torture.sh --duration 600            # 10 minutes per backend, one after another
#   scripts/torture.sh --duration 36000 file     # hours, on one backend
# Backends: file redis redlock postgres (default: all). Needs what the tests need (README).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=60
backends=()
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    file|redis|redlock|postgres) backends+=("$1"); shift ;;
    *) echo "usage: $0 [--duration SECONDS] [file|redis|redlock|postgres ...]" >&2; exit 64 ;;
  esac
done
[ ${#backends[@]} -gt 0 ] || backends=(file redis redlock postgres)

mvn -B -q -DskipTests install -pl lock-file,lock-redis,lock-postgres -am
for backend in "${backends[@]}"; do
  case "$backend" in
    file) module=lock-file; test=FileTortureTest ;;
    redis) module=lock-redis; test=RedisTortureTest ;;
    redlock) module=lock-redis; test=RedlockTortureTest ;;
    postgres) module=lock-postgres; test=PostgresTortureTest ;;
  esac
  echo "torture: $backend for $duration s"
  mvn -B -q surefire:test -pl "$module" -Dtest="$test" -Ddlock.torture.seconds="$duration" || status=$?
  cat "$module/target/torture/$test.txt"
done
exit "${status:-0}"
