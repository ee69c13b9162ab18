/** Tracing is off unless OTEL_* asks for it, and then no OpenTelemetry module is loaded at all. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/logger';
import { startProcessTracing, tracesConfigured } from '../../src/runtime/tracing';

test('OTEL_TRACES_EXPORTER (not none) or an OTLP endpoint turns tracing on; nothing else does', () => {
  assert.equal(tracesConfigured({}), false);
  assert.equal(tracesConfigured({ OTEL_SERVICE_NAME: 'ingress' }), false);
  assert.equal(tracesConfigured({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }), false);
  assert.equal(tracesConfigured({ OTEL_TRACES_EXPORTER: 'otlp' }), true);
  assert.equal(tracesConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), true);
  assert.equal(tracesConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }), true);
});

// @opentelemetry/api itself is always there: prom-client requires it (a no-op without an SDK).
test('with tracing off, the package entry, the worker entry and the ingress load no OpenTelemetry SDK or interceptor', async () => {
  /* eslint-disable @typescript-eslint/no-require-imports */
  require('../../src/index');
  require('../../src/worker');
  require('../../src/runtime/ingress-runtime');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const lines: string[] = [];
  assert.equal(await startProcessTracing({}, createLogger({ write: (l) => lines.push(l) })), undefined);
  assert.deepEqual(lines, []);
  assert.deepEqual(
    Object.keys(require.cache).filter((m) => /@opentelemetry[\\/](?!api[\\/])|interceptors-opentelemetry/.test(m)),
    [],
  );
});
