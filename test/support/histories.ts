/**
 * Workflow histories checked in under test/fixtures/histories (proto JSON, as `temporal workflow
 * show --output json` writes it). Loaded with the protobufjs copy `@temporalio/proto` was built
 * with: `historyFromJSON` in `@temporalio/common` resolves a second copy here and rejects the type.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';

export const HISTORIES_DIR = path.resolve(__dirname, '../fixtures/histories');

const protoDir = path.dirname(require.resolve('@temporalio/proto/package.json'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { fromJson } = require(require.resolve('protobufjs/ext/protojson', { paths: [protoDir] })) as {
  fromJson: (type: unknown, json: unknown, options: object) => unknown;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { patchProtobufRoot } = require('@temporalio/proto/lib/patch-protobuf-root') as {
  patchProtobufRoot: (root: unknown) => { lookupType: (name: string) => unknown };
};
const historyType = patchProtobufRoot(proto).lookupType('temporal.api.history.v1.History');

export function loadHistory(file: string): temporal.api.history.v1.IHistory {
  const json: unknown = JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8'));
  return fromJson(historyType, json, { ignoreUnknownFields: true }) as temporal.api.history.v1.IHistory;
}

/** Every checked-in history whose file name starts with `prefix`. */
export function recordedHistories(prefix: string): Array<{ name: string; history: temporal.api.history.v1.IHistory }> {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .sort()
    .map((name) => ({ name, history: loadHistory(name) }));
}
