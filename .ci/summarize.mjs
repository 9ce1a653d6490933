// Prints vitest's JSON report as one plain line: "N passed, N failed, N skipped".
// Further arguments name static checks that failed (lint, cycles, shellcheck: see .ci/run); each
// counts as one failure and is named at the end of the line.
import { readFileSync, existsSync } from 'node:fs';

const [path, ...failedChecks] = process.argv.slice(2);
const checksNote = failedChecks.length > 0 ? ` (failed checks: ${failedChecks.join(', ')})` : '';
if (!path || !existsSync(path)) {
  console.log(`0 passed, ${1 + failedChecks.length} failed (no test report was written: the runner did not finish)${checksNote}`);
  process.exit(0);
}
const r = JSON.parse(readFileSync(path, 'utf8'));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
// A file that failed to load counts as a failure even though it has no test results.
const brokenFiles = (r.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
console.log(`${r.numPassedTests} passed, ${r.numFailedTests + brokenFiles + failedChecks.length} failed, ${skipped} skipped${checksNote}`);
