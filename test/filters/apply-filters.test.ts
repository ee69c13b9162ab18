/** applyFilters and the `spec.filters` schema: each operator, header and normalized paths, the regex safety rule. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyFilters,
  filtersSpec,
  MAX_MATCH_INPUT_LENGTH,
  unsafeRegexReason,
  type FilterSpec,
} from '../../src/filters';
import { webhookSpec } from '../../src/resources/schemas';

const payload = {
  ref: 'refs/heads/main',
  repository: { full_name: 'acme/api', topics: ['backend', 'go'], owner: { login: 'acme' } },
  commits: [
    { id: 'a1', message: 'fix: typo' },
    { id: 'b2', message: 'feat: filters' },
  ],
  size: 2,
  draft: false,
};
const headers = { 'x-github-event': 'push', 'content-type': 'application/json' };
const normalized = { kind: 'git.push', provider: 'github', repository: 'acme/api', branch: 'main' };
const subject = { payload, headers, normalized };

function parse(filters: unknown[]): FilterSpec[] {
  return filtersSpec.parse(filters);
}

describe('applyFilters', () => {
  test('equals compares any JSON value deeply, in any key order', () => {
    assert.deepEqual(applyFilters(parse([{ path: '$.ref', equals: 'refs/heads/main' }]), subject), { pass: true });
    assert.deepEqual(
      applyFilters(
        parse([
          { path: '$.size', equals: 2 },
          { path: '$.draft', equals: false },
        ]),
        subject,
      ),
      { pass: true },
    );
    assert.deepEqual(applyFilters(parse([{ path: '$.repository.owner', equals: { login: 'acme' } }]), subject), {
      pass: true,
    });
    assert.deepEqual(
      applyFilters(
        parse([
          {
            path: '$.repository',
            equals: { owner: { login: 'acme' }, topics: ['backend', 'go'], full_name: 'acme/api' },
          },
        ]),
        subject,
      ),
      { pass: true },
    );
    assert.equal(applyFilters(parse([{ path: '$.size', equals: '2' }]), subject).pass, false);
    assert.equal(
      applyFilters(parse([{ path: '$.repository.topics', equals: ['go', 'backend'] }]), subject).pass,
      false,
    );
  });

  test('equals null holds only for a present null', () => {
    const filters = parse([{ path: '$.base', equals: null }]);
    assert.equal(applyFilters(filters, { payload: { base: null }, headers: {} }).pass, true);
    assert.equal(applyFilters(filters, { payload: {}, headers: {} }).pass, false);
  });

  test('contains is a substring of a string or an element of an array', () => {
    assert.equal(applyFilters(parse([{ path: '$.repository.full_name', contains: 'acme/' }]), subject).pass, true);
    assert.equal(applyFilters(parse([{ path: '$.repository.topics', contains: 'go' }]), subject).pass, true);
    assert.equal(
      applyFilters(parse([{ path: '$.commits', contains: { id: 'b2', message: 'feat: filters' } }]), subject).pass,
      true,
    );
    assert.equal(applyFilters(parse([{ path: '$.repository.topics', contains: 'frontend' }]), subject).pass, false);
    assert.equal(applyFilters(parse([{ path: '$.size', contains: '2' }]), subject).pass, false);
  });

  test('matches tests a string (or number) against the regex', () => {
    assert.equal(
      applyFilters(parse([{ path: '$.ref', matches: '^refs/heads/(main|release-\\d+)$' }]), subject).pass,
      true,
    );
    assert.equal(applyFilters(parse([{ path: '$.size', matches: '^\\d$' }]), subject).pass, true);
    assert.equal(applyFilters(parse([{ path: '$.ref', matches: '^refs/tags/' }]), subject).pass, false);
    assert.equal(applyFilters(parse([{ path: '$.repository', matches: '.*' }]), subject).pass, false);
  });

  test('a wildcard path holds when any selected value satisfies the operator', () => {
    assert.equal(applyFilters(parse([{ path: '$.commits[*].message', matches: '^feat:' }]), subject).pass, true);
    assert.equal(applyFilters(parse([{ path: '$..login', equals: 'acme' }]), subject).pass, true);
    assert.equal(applyFilters(parse([{ path: '$.commits[*].message', matches: '^chore:' }]), subject).pass, false);
  });

  test('headers.<name> reads a header case-insensitively', () => {
    assert.equal(applyFilters(parse([{ path: 'headers.X-GitHub-Event', equals: 'push' }]), subject).pass, true);
    const verdict = applyFilters(parse([{ path: 'headers.x-github-event', equals: 'pull_request' }]), subject);
    assert.deepEqual(verdict, {
      pass: false,
      reason: 'filter 1 (headers.x-github-event equals "pull_request") failed: no match',
    });
  });

  test('normalized.<field> reads the normalized view, and is absent without one', () => {
    assert.equal(applyFilters(parse([{ path: 'normalized.branch', equals: 'main' }]), subject).pass, true);
    const verdict = applyFilters(parse([{ path: 'normalized.tag', matches: '^v' }]), subject);
    assert.deepEqual(verdict, {
      pass: false,
      reason: 'filter 1 (normalized.tag matches /^v/) failed: normalized.tag is absent',
    });
    assert.equal(
      applyFilters(parse([{ path: 'normalized.kind', equals: 'git.push' }]), { payload, headers }).pass,
      false,
    );
  });

  test('all filters must hold; the reason names the first that fails, never the delivery value', () => {
    const secretHeader = { authorization: 'Bearer super-secret-token' };
    const verdict = applyFilters(
      parse([
        { path: '$.ref', equals: 'refs/heads/main' },
        { path: 'headers.authorization', equals: 'Bearer expected' },
        { path: '$.size', equals: 99 },
      ]),
      { payload, headers: secretHeader },
    );
    assert.equal(verdict.pass, false);
    assert.equal(
      (verdict as { reason: string }).reason,
      'filter 2 (headers.authorization equals "Bearer expected") failed: no match',
    );
    assert.doesNotMatch((verdict as { reason: string }).reason, /super-secret/);
  });

  test('a long expected value is shortened in the reason', () => {
    const verdict = applyFilters(parse([{ path: '$.ref', equals: 'x'.repeat(5000) }]), subject);
    assert.ok(!verdict.pass && verdict.reason.length < 200, JSON.stringify(verdict));
  });

  test('a value over the match input cap fails unmatched and says why', () => {
    const big = { text: 'a'.repeat(MAX_MATCH_INPUT_LENGTH + 1) };
    const verdict = applyFilters(parse([{ path: '$.text', matches: 'a' }]), { payload: big, headers: {} });
    assert.deepEqual(verdict, {
      pass: false,
      reason: `filter 1 ($.text matches /a/) failed: value longer than ${MAX_MATCH_INPUT_LENGTH} characters is not matched`,
    });
  });

  test('non-object payloads and no filters', () => {
    assert.equal(
      applyFilters(parse([{ path: '$.ref', equals: 'x' }]), { payload: 'text body', headers: {} }).pass,
      false,
    );
    assert.deepEqual(applyFilters(undefined, subject), { pass: true });
    assert.deepEqual(applyFilters([], subject), { pass: true });
  });
});

describe('filtersSpec', () => {
  test('needs exactly one operator', () => {
    assert.equal(filtersSpec.safeParse([{ path: '$.ref' }]).success, false);
    assert.equal(filtersSpec.safeParse([{ path: '$.ref', equals: 'a', contains: 'b' }]).success, false);
    assert.equal(filtersSpec.safeParse([{ path: '$.ref', equals: 'a', extra: 1 }]).success, false);
  });

  test('paths are JSONPath from $, headers.<name> or normalized.<field>; no script expressions', () => {
    assert.equal(filtersSpec.safeParse([{ path: 'repository.full_name', equals: 'a' }]).success, false);
    assert.equal(filtersSpec.safeParse([{ path: '$.commits[?(@.id=="a")]', equals: 'a' }]).success, false);
    assert.equal(filtersSpec.safeParse([{ path: 'headers.', equals: 'a' }]).success, false);
    assert.equal(filtersSpec.safeParse([{ path: 'normalized.repository', equals: 'a' }]).success, true);
  });

  test('a webhook spec accepts filters and reports an unsafe regex with the rule', () => {
    const base = {
      profile: 'github',
      secretRef: { name: 's', key: 'k' },
      start: { workflowType: 'w', taskQueue: 'q', input: { repo: '{normalized.repository}' } },
    };
    assert.equal(
      webhookSpec.safeParse({ ...base, filters: [{ path: '$.ref', equals: 'refs/heads/main' }] }).success,
      true,
    );
    const bad = webhookSpec.safeParse({ ...base, filters: [{ path: '$.ref', matches: '^(a+)+$' }] });
    assert.equal(bad.success, false);
    const message = bad.error.issues[0]!.message;
    assert.match(message, /contains a quantifier or alternation/);
    assert.match(message, /no backreferences/);
    assert.deepEqual(bad.error.issues[0]!.path, ['filters', 0, 'matches']);
  });
});

describe('the regex safety rule', () => {
  const refused = [
    '(a+)+',
    '(\\w*)*',
    '(a|aa)+',
    '((ab)*c)+',
    '(a{1,3})+',
    '(a*){2}',
    '(x)\\1',
    '(?<n>a)\\k<n>',
    'a'.repeat(257),
    '(unclosed',
  ];
  const accepted = [
    '^refs/heads/(main|release-\\d+)$',
    '^(https?://)?example\\.com$',
    '(\\d{1,3}\\.){3}\\d{1,3}',
    '[(+]+',
    '^v\\d+\\.\\d+\\.\\d+$',
    '(?:ab){2}',
    'a'.repeat(256),
  ];
  for (const pattern of refused) {
    test(`refuses ${pattern.length > 40 ? `a ${pattern.length}-character pattern` : pattern}`, () =>
      assert.ok(unsafeRegexReason(pattern)));
  }
  for (const pattern of accepted) {
    test(`accepts ${pattern.length > 40 ? `a ${pattern.length}-character pattern` : pattern}`, () =>
      assert.equal(unsafeRegexReason(pattern), undefined));
  }
});
