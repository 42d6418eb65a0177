/**
 * Ends the run's output with one plain line of totals, "Tests: N passed, N failed, N skipped".
 * Jest's own "Tests: 5 passed, 5 total" is not a line that tooling outside Jest reads as a test
 * count. Written at process exit so it comes after Jest's summary and its force-exit notice.
 */
const { writeSync } = require('node:fs');

class ClosingLineReporter {
  onRunComplete(_contexts, results) {
    const line = `Tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests + results.numTodoTests} skipped`;
    process.once('exit', () => writeSync(1, `\n${line}\n`));
  }
}

module.exports = ClosingLineReporter;
