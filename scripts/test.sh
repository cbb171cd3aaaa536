#!/usr/bin/env bash
# `npm test`: sets up what the tests need on a fresh machine (Docker engine, Redis, npm deps, images,
# example repositories), then runs the unit and integration suites and prints one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-host.sh
node --import tsx examples/materialize.ts >/dev/null

report=$(mktemp)
status=0
# The fault suite runs too when asked (npm run test:faults runs it alone).
projects=(--project unit --project integration)
if [ "${COMPAT_TEST_FAULTS:-1}" = 1 ] && [ -d test/faults ]; then projects+=(--project faults); fi
npx vitest run "${projects[@]}" --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?

# One closing line in the plain form CI reads: "N passed, N failed, N skipped".
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + (r.numTodoTests ?? 0)} skipped`);
' "$report" || true
rm -f "$report"
exit $status
