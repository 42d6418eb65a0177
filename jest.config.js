/** Temporal suites start real servers, so the whole run is in band (see package.json). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/.data/', '/.tools/'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testTimeout: 60000,
};
