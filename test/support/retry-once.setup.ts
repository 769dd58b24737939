/**
 * Specs against a real etcd (integration, e2e, faults, interop) retry a failed test once, and
 * print the first failure before the retry (so a flaky test stays visible in the log). Several of
 * them time real failovers, compactions and restarts on a 2-core machine; a retry keeps a rare
 * scheduling hiccup from failing the run, while a test that fails twice still fails it.
 */
jest.retryTimes(1, { logErrorsBeforeRetry: true });
