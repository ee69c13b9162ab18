/**
 * docker-compose.yml cannot be run here, so its wiring is checked by reading it: service
 * names, addresses, dependencies, and the search attributes tempohook needs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import YAML from 'yaml';
import { tempohookSearchAttributes } from '../src/workflows/definitions';

const root = join(__dirname, '..');
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');

/** Compose's own `${VAR:-default}` / `${VAR:?message}` / `${VAR}` substitution, with `env`. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g,
    (match, name: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (match === '$$') return '$';
      const value = env[name!];
      if (op?.endsWith('-')) return value || arg!;
      if (op?.endsWith('?')) {
        if (!value) throw new Error(`${name}: ${arg}`);
        return value;
      }
      return value ?? '';
    },
  );
}

type Service = {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: string[];
  healthcheck?: { test?: string | string[] };
  volumes?: string[];
};

const compose = YAML.parse(interpolate(composeText, { TEMPOHOOK_ADMIN_TOKEN: 'compose-test-token-0123456789' }), {
  merge: true,
}) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = compose.services;

function service(name: string): Service {
  const found = services[name];
  assert.ok(found, `service ${name} is missing`);
  return found;
}

function env(name: string): Record<string, string> {
  const environment = service(name).environment ?? {};
  if (Array.isArray(environment))
    return Object.fromEntries(
      environment.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
  return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, String(value)]));
}

function dependsOn(name: string): Record<string, string> {
  const deps = service(name).depends_on ?? [];
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((dep) => [dep, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([dep, spec]) => [dep, spec.condition ?? 'service_started']));
}

const commandText = (name: string) =>
  [service(name).entrypoint, service(name).command].flat().filter(Boolean).join(' ');

describe('docker-compose.yml', () => {
  test('has postgres, temporal, temporal-ui, ingress and worker, plus the one-shot temporal-setup', () => {
    for (const name of ['postgres', 'temporal', 'temporal-setup', 'temporal-ui', 'ingress', 'worker']) service(name);
    assert.match(service('postgres').image!, /^postgres:16/);
    assert.match(service('temporal').image!, /^temporalio\/auto-setup:/);
    assert.match(service('temporal-setup').image!, /^temporalio\/admin-tools:/);
    assert.match(service('temporal-ui').image!, /^temporalio\/ui:/);
  });

  test('the ADMIN token is required, not defaulted', () => {
    assert.match(composeText, /TEMPOHOOK_ADMIN_TOKEN: \$\{TEMPOHOOK_ADMIN_TOKEN:\?/);
    assert.throws(() => interpolate(composeText, {}), /TEMPOHOOK_ADMIN_TOKEN/);
  });

  test('postgres has a health check and a volume; temporal persists to it', () => {
    assert.match(JSON.stringify(service('postgres').healthcheck?.test), /pg_isready/);
    const volume = service('postgres').volumes?.[0]?.split(':')[0];
    assert.ok(volume && compose.volumes && volume in compose.volumes, 'postgres data is a named volume');
    const temporal = env('temporal');
    assert.equal(temporal.DB, 'postgres12');
    assert.equal(temporal.DB_PORT, '5432');
    assert.equal(temporal.POSTGRES_SEEDS, 'postgres');
    assert.equal(temporal.POSTGRES_USER, env('postgres').POSTGRES_USER);
    assert.equal(temporal.POSTGRES_PWD, env('postgres').POSTGRES_PASSWORD);
    assert.equal(dependsOn('temporal').postgres, 'service_healthy');
  });

  test('ingress and worker reach temporal and postgres by service name', () => {
    for (const name of ['ingress', 'worker']) {
      const vars = env(name);
      const [host, port] = vars.TEMPORAL_ADDRESS!.split(':');
      assert.ok(services[host!], `${name}: TEMPORAL_ADDRESS host ${host} is a service`);
      assert.equal(host, 'temporal');
      assert.equal(port, '7233');
      const db = new URL(vars.DATABASE_URL!);
      assert.equal(db.protocol, 'postgres:');
      assert.equal(db.hostname, 'postgres');
      assert.equal(db.port, '5432');
      assert.equal(
        db.pathname,
        `/${env('postgres').POSTGRES_DB}`,
        `${name}: DATABASE_URL names the database postgres creates`,
      );
      assert.equal(decodeURIComponent(db.username), env('postgres').POSTGRES_USER);
      assert.equal(decodeURIComponent(db.password), env('postgres').POSTGRES_PASSWORD);
      assert.equal(dependsOn(name).postgres, 'service_healthy');
      assert.equal(dependsOn(name)['temporal-setup'], 'service_completed_successfully');
      assert.ok(service(name).build, `${name} is built from the repo Dockerfile`);
    }
    assert.equal(service('ingress').image, service('worker').image, 'one image for both processes');
  });

  test('the ingress runs `tempohook ingress` on 0.0.0.0:8080 with a /readyz health check', () => {
    assert.deepEqual([service('ingress').command].flat(), ['ingress']);
    assert.deepEqual([service('worker').command].flat(), ['worker']);
    const vars = env('ingress');
    assert.equal(vars.HOST, '0.0.0.0');
    assert.equal(vars.PORT, '8080');
    assert.equal(vars.TEMPOHOOK_ADMIN_TOKEN, 'compose-test-token-0123456789');
    assert.ok(service('ingress').ports?.includes('8080:8080'));
    assert.match(JSON.stringify(service('ingress').healthcheck?.test), /127\.0\.0\.1:8080\/readyz/);
  });

  test('the UI points at temporal and is published on 8233', () => {
    assert.equal(env('temporal-ui').TEMPORAL_ADDRESS, 'temporal:7233');
    assert.ok(service('temporal-ui').ports?.includes('8233:8080'));
    assert.ok(dependsOn('temporal-ui').temporal);
  });

  test("temporal-setup registers exactly tempohook's search attributes, with their types, against temporal", () => {
    assert.equal(env('temporal-setup').TEMPORAL_ADDRESS, 'temporal:7233');
    assert.ok(dependsOn('temporal-setup').temporal);
    const script = commandText('temporal-setup');
    const created = [...script.matchAll(/search-attribute create\b[^\n]*?--name (\S+) --type (\S+)/g)].map((m) => ({
      name: m[1]!,
      type: m[2]!,
    }));
    assert.deepEqual(created.map((c) => c.name).sort(), tempohookSearchAttributes.map((key) => key.name).sort());
    const cliType = { KEYWORD: 'Keyword', KEYWORD_LIST: 'KeywordList' } as Record<string, string>;
    for (const key of tempohookSearchAttributes)
      assert.equal(created.find((c) => c.name === key.name)?.type, cliType[key.type], key.name);
  });

  test('the Dockerfile builds the CLI on node:20-slim and runs bin/tempohook.js', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^FROM node:20-slim/m);
    assert.match(dockerfile, /npm ci/);
    assert.match(dockerfile, /npm run build/);
    assert.match(dockerfile, /ENTRYPOINT \["node", "bin\/tempohook\.js"\]/);
  });
});
