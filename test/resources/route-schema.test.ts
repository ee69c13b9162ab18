/** spec.routes and spec.mode: what a webhook accepts and refuses, and the `when` language. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeZodError, webhookSpec } from '../../src/resources/schemas';
import { routeConditions } from '../../src/resources/route-schema';

const base = { profile: 'github', secretRef: { name: 'github', key: 'value' } };
const start = { workflowType: 'deployOnPush', taskQueue: 'deploys' };

function refusal(spec: unknown): string {
  const parsed = webhookSpec.safeParse(spec);
  assert.equal(parsed.success, false, 'expected the spec to be refused');
  return JSON.stringify(describeZodError(parsed.error));
}

describe('spec.routes', () => {
  test('routes with start and signalWithStart, when and match, and mode all are accepted', () => {
    const parsed = webhookSpec.parse({
      ...base,
      mode: 'all',
      routes: [
        { name: 'deploy', when: 'source == "push" && payload.ref == "refs/heads/main"', start },
        { name: 'review', match: { 'headers.x-github-event': 'pull_request', '$.action': 'opened' }, start },
        {
          name: 'activity',
          signalWithStart: {
            workflowType: 'repositoryActivity',
            taskQueue: 'entities',
            workflowId: 'repository/{payload.repository.full_name}',
          },
        },
      ],
    });
    assert.equal(parsed.routes?.length, 3);
    assert.equal(parsed.mode, 'all');
  });

  test('spec.start and spec.routes together, or spec.mode without routes, are refused with the fix', () => {
    assert.match(
      refusal({ ...base, start, routes: [{ name: 'a', start }] }),
      /use spec.routes or spec.start, not both.*last route without `when`/,
    );
    assert.match(refusal({ ...base, start, mode: 'all' }), /spec.mode chooses among spec.routes/);
    assert.equal(webhookSpec.parse({ ...base, start }).routes, undefined, 'spec.start alone still works');
  });

  test('a signalWithStart workflowId may not use values that differ per attempt', () => {
    const entity = { workflowType: 'repositoryActivity', taskQueue: 'q' };
    assert.match(
      refusal({ ...base, routes: [{ name: 'a', signalWithStart: { ...entity, workflowId: 'r/{deliveryId}' } }] }),
      /must not use \{deliveryId\}/,
    );
    assert.match(
      refusal({ ...base, routes: [{ name: 'a', signalWithStart: { ...entity, workflowId: 'r/{header.x-a}' } }] }),
      /must not use \{header/,
    );
  });

  test('a route needs exactly one action', () => {
    assert.match(refusal({ ...base, routes: [{ name: 'a' }] }), /exactly one action/);
    assert.match(
      refusal({
        ...base,
        routes: [{ name: 'a', start, signalWithStart: { ...start, workflowId: 'x/{eventId}' } }],
      }),
      /exactly one action/,
    );
  });

  test('signalWithStart needs a deterministic workflowId', () => {
    assert.match(refusal({ ...base, routes: [{ name: 'a', signalWithStart: start }] }), /workflowId/);
    assert.match(
      refusal({ ...base, routes: [{ name: 'a', signalWithStart: { ...start, workflowId: 'c/{deliveryId}' } }] }),
      /deliveryId/,
    );
  });

  test('duplicate route names and an unknown mode are refused', () => {
    assert.match(
      refusal({
        ...base,
        routes: [
          { name: 'a', start },
          { name: 'a', start },
        ],
      }),
      /used twice/,
    );
    assert.match(refusal({ ...base, routes: [{ name: 'a', start }], mode: 'some' }), /mode/);
  });

  test('a bad when expression or match path is refused when applied, quoted', () => {
    assert.match(refusal({ ...base, routes: [{ name: 'a', when: 'payload.action == ', start }] }), /does not parse/);
    assert.match(refusal({ ...base, routes: [{ name: 'a', when: 'vars.x == 1', start }] }), /vars/);
    assert.match(refusal({ ...base, routes: [{ name: 'a', when: '"push"', start }] }), /not bool/);
    assert.match(refusal({ ...base, routes: [{ name: 'a', match: { action: 'x' }, start }] }), /match path/);
  });
});

describe('route when expressions', () => {
  const subject = {
    payload: { ref: 'refs/heads/main', data: { object: { customer: 'cus_1' } } },
    headers: { 'x-github-event': 'push' },
    source: 'push',
    eventId: 'e1',
    normalized: { branch: 'main' },
  };
  test('read payload, headers, source, eventId and normalized', () => {
    assert.equal(routeConditions.holds('source == "push" && payload.ref == "refs/heads/main"', subject), true);
    assert.equal(
      routeConditions.holds('normalized.branch == "main" && headers["x-github-event"] == source', subject),
      true,
    );
    assert.equal(routeConditions.holds('eventId == "e2"', subject), false);
    assert.equal(routeConditions.holds('payload.nope.deeper == 1', subject), false);
  });
});
