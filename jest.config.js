/**
 * Temporal suites start real servers, so suites run one at a time (see package.json): in one Jest
 * worker process, not in band, which is replaced once a suite leaves it above 1.5 GB. An in-band
 * run of every suite grew past Node's 4 GB heap; a bigger heap flag is not a cure, since V8 heap
 * flags override the expression sandbox's per-thread limit (engine/sandbox/pool.ts refuses then).
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/.data/', '/.tools/'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  setupFiles: ['<rootDir>/test/support/jest-setup.ts'],
  testTimeout: 60000,
  // A Temporal native connection left open by a failed teardown must not keep CI waiting forever.
  forceExit: true,
  // Jest's summary, then one plain closing line with the totals (test/support/closing-line-reporter.js).
  reporters: ['default', '<rootDir>/test/support/closing-line-reporter.js'],
};
