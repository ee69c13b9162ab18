/**
 * The workflows module the test run bundles once (see scripts/run-tests.ts): everything the
 * tests' workers run. Workflow code: sandboxed, so re-export workflow modules only.
 */
export * from '../../src/examples/workflows';
export * from './wait-workflows';
export * from './notification-workflows';
export * from './entity-workflows';
