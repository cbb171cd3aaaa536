#!/usr/bin/env bash
# `npm test`: sets up what the tests need on a fresh machine (Docker engine, Redis, npm deps, images,
# the dashboard bundle, example repositories), then runs the unit and integration suites, then the fault
# suite on its own (it restarts the Docker engine and Redis-like peers, so nothing else may run beside
# it), and prints one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-host.sh
node --import tsx examples/materialize.ts >/dev/null

# Types, import cycles and lint first: a minute or two at most, and any of them makes every later failure noise.
npx tsc --noEmit -p .
npx madge --circular --extensions ts,tsx --ts-config tsconfig.json common server workers cli images dashboards/src >/dev/null \
  || { npx madge --circular --extensions ts,tsx --ts-config tsconfig.json common server workers cli images dashboards/src; exit 1; }
# Lint after them: the import rules (only adapters import bullmq, ioredis, dockerode, simple-git,
# better-sqlite3; which way the folders' edges go) and typescript-eslint's recommended rules.
npm run --silent lint

reports=$(mktemp -d)
status=0
npx vitest run --project unit --project integration --reporter=default --reporter=json --outputFile.json="$reports/main.json" "$@" || status=$?
if [ "${COMPAT_TEST_FAULTS:-1}" = 1 ]; then
  # The real engine restart is safe here: the fault suite runs alone.
  COMPAT_FAULTS_DOCKER_RESTART=${COMPAT_FAULTS_DOCKER_RESTART:-1} \
    npx vitest run --project faults --reporter=default --reporter=json --outputFile.json="$reports/faults.json" "$@" || status=$?
fi

# One closing line in the plain form CI reads: "N passed, N failed, N skipped".
node -e '
const fs = require("fs");
let passed = 0, failed = 0, skipped = 0;
for (const f of process.argv.slice(1)) {
  if (!fs.existsSync(f)) { failed++; continue; }
  const r = JSON.parse(fs.readFileSync(f, "utf8"));
  passed += r.numPassedTests; failed += r.numFailedTests + (r.numFailedTestSuites && !r.numFailedTests ? r.numFailedTestSuites : 0);
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
' "$reports/main.json" $([ "${COMPAT_TEST_FAULTS:-1}" = 1 ] && echo "$reports/faults.json") || true
rm -rf "$reports"
exit $status
