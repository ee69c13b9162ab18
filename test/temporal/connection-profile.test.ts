/**
 * The Temporal connection from a Temporal CLI profile (@temporalio/envconfig) and the TEMPORAL_*
 * names the Temporal CLI reads, beside tempohook's own variables: a profile reaches the test run's
 * server; environment variables override the profile; TLS from either is read; a missing named
 * profile is an error that says which.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { temporalConfigFromEnv } from '../../src/cli/ingress-command';
import { parseEnv } from '../../src/config/env';
import { TempohookError } from '../../src/errors';
import { connectTemporal, temporalConnectionOptions } from '../../src/temporal/connection';
import { getTestTemporal } from '../support/temporal';

const dir = mkdtempSync(path.join(tmpdir(), 'tempohook-envconfig-'));
const file = (name: string, text: string) => {
  const full = path.join(dir, name);
  writeFileSync(full, text);
  return full;
};
const CA = file('ca.pem', '-----BEGIN CERTIFICATE-----\nprofile-ca\n-----END CERTIFICATE-----\n');
const OWN_CA = file('own-ca.pem', '-----BEGIN CERTIFICATE-----\nown-ca\n-----END CERTIFICATE-----\n');

/** What a process started with only these variables (and no HOME profile) would use. */
const configOf = (vars: Record<string, string>) => {
  const raw = { HOME: dir, ...vars };
  return temporalConfigFromEnv(parseEnv(raw), raw);
};

describe('Temporal connection from a profile (envconfig)', () => {
  test('a named profile in TEMPORAL_CONFIG_FILE reaches the server it names, in its namespace', async () => {
    const temporal = await getTestTemporal();
    const config = configOf({
      TEMPORAL_CONFIG_FILE: file(
        'temporal.toml',
        `[profile.default]\naddress = "127.0.0.1:1"\n\n[profile.tests]\naddress = "${temporal.address}"\nnamespace = "${temporal.namespace}"\n\n[profile.tests.grpc_meta]\nx-team = "hooks"\n`,
      ),
      TEMPORAL_PROFILE: 'tests',
    });
    assert.equal(config.address, temporal.address);
    assert.equal(config.namespace, temporal.namespace);
    const options = await temporalConnectionOptions(config);
    assert.equal(options.tls, false);
    assert.deepEqual(options.metadata, { 'x-team': 'hooks' });
    const { connection, client } = await connectTemporal(config);
    try {
      const info = await client.workflowService.getSystemInfo({});
      assert.ok(info.capabilities, 'the profile’s server answered');
    } finally {
      await connection.close();
    }
  });

  test('the Temporal CLI’s variables override the profile; TLS from the profile and from TEMPORAL_TLS_CA_PATH add up', async () => {
    const toml = file(
      'cloud.toml',
      `[profile.cloud]\naddress = "ns.acct.tmprl.cloud:7233"\nnamespace = "ns.acct"\napi_key = "profile-key"\n\n[profile.cloud.tls]\nserver_name = "ns.acct.tmprl.cloud"\nserver_ca_cert_path = "${CA}"\n`,
    );
    const base = { TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'cloud' };
    const cloud = await temporalConnectionOptions(configOf(base));
    assert.equal(cloud.address, 'ns.acct.tmprl.cloud:7233');
    assert.equal(cloud.apiKey, 'profile-key');
    assert.ok(typeof cloud.tls === 'object');
    assert.equal(cloud.tls.serverNameOverride, 'ns.acct.tmprl.cloud');
    assert.match(Buffer.from(cloud.tls.serverRootCACertificate!).toString(), /profile-ca/);

    const overridden = configOf({
      ...base,
      TEMPORAL_ADDRESS: 'other.example:7233',
      TEMPORAL_NAMESPACE: 'other-ns',
      TEMPORAL_API_KEY: 'env-key',
    });
    assert.equal(overridden.address, 'other.example:7233');
    assert.equal(overridden.namespace, 'other-ns');
    assert.equal(overridden.apiKey, 'env-key');

    const own = await temporalConnectionOptions(configOf({ ...base, TEMPORAL_TLS_CA_PATH: OWN_CA }));
    assert.ok(typeof own.tls === 'object');
    assert.match(
      Buffer.from(own.tls.serverRootCACertificate!).toString(),
      /own-ca/,
      "tempohook's variable wins for the CA",
    );
    assert.equal(own.tls.serverNameOverride, 'ns.acct.tmprl.cloud');

    const cliNames = await temporalConnectionOptions(
      configOf({ TEMPORAL_ADDRESS: 'x.example:7233', TEMPORAL_TLS_SERVER_CA_CERT_PATH: CA }),
    );
    assert.ok(typeof cliNames.tls === 'object');
    assert.match(Buffer.from(cliNames.tls.serverRootCACertificate!).toString(), /profile-ca/);
  });

  test('without a profile or variables: the local default, no TLS', async () => {
    const config = configOf({});
    assert.equal(config.address, '127.0.0.1:7233');
    assert.equal(config.namespace, 'default');
    assert.equal((await temporalConnectionOptions(config)).tls, false);
  });

  test('a named profile that does not exist stops the process with a message naming it', () => {
    const toml = file('empty.toml', '[profile.default]\naddress = "127.0.0.1:7233"\n');
    assert.throws(
      () => configOf({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'missing' }),
      (err: unknown) =>
        err instanceof TempohookError && err.code === 'invalid_config' && /profile missing/.test(err.message),
    );
  });
});
