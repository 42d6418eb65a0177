/** Temporal suites start real servers, so the whole run is in band (see package.json). */
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
