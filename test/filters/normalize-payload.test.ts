/** normalizePayload over the payload shapes each provider documents (/work/shared/providers.md §1, §7, §14, §15). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizePayload } from '../../src/filters';

const dockerHubPush = {
  callback_url: 'https://registry.hub.docker.com/u/svendowideit/testhook/hook/2141b5bi5i5b02bec211i4eeih0242eg11000a/',
  push_data: { pushed_at: 1417566161, pusher: 'trustedbuilder', tag: 'latest' },
  repository: {
    comment_count: 0,
    date_created: 1417494799,
    description: '',
    dockerfile: '#\n# BUILD\t\tdocker build -t svendowideit/apt-cacher .\n',
    full_description: 'Docker Hub based automated build from a GitHub repo',
    is_official: false,
    is_private: true,
    is_trusted: true,
    name: 'testhook',
    namespace: 'svendowideit',
    owner: 'svendowideit',
    repo_name: 'svendowideit/testhook',
    repo_url: 'https://registry.hub.docker.com/u/svendowideit/testhook/',
    star_count: 0,
    status: 'Active',
  },
};

const harborDefault = {
  type: 'PUSH_ARTIFACT',
  occur_at: 1586922308,
  operator: 'admin',
  event_data: {
    resources: [
      {
        digest: 'sha256:8a9e9863dbb6e10edb5adfe917c00da84e1700fa76e7ed02476aa6e6fb8ee0d8',
        tag: 'latest',
        resource_url: 'hub.harbor.com/test-webhook/debian:latest',
      },
    ],
    repository: {
      date_created: 1586922308,
      name: 'debian',
      namespace: 'test-webhook',
      repo_full_name: 'test-webhook/debian',
      repo_type: 'private',
    },
  },
};

const harborCloudEvent = {
  specversion: '1.0',
  requestid: '2eb3a3b9-1d1b-4d4d-a0a4-0a2a5a6b5b3f',
  id: '4b2f89a6-548d-4c12-9993-a1f5790b97d2',
  source: '/projects/1/webhook/policies/3',
  type: 'harbor.artifact.pushed',
  datacontenttype: 'application/json',
  time: '2023-03-06T06:08:43Z',
  data: {
    resources: [
      {
        digest: 'sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4',
        tag: 'sha256:954b378c',
        resource_url: 'harbor.example.com/library/busybox@sha256:954b378c',
      },
    ],
    repository: {
      date_created: 1677054490,
      name: 'busybox',
      namespace: 'library',
      repo_full_name: 'library/busybox',
      repo_type: 'public',
    },
  },
  operator: 'robot$library+ci',
};

const githubPush = {
  ref: 'refs/heads/main',
  before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
  after: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
  created: false,
  deleted: false,
  forced: false,
  compare: 'https://github.com/Codertocat/Hello-World/compare/6113728f27ae...0d1a26e67d8f',
  commits: [],
  head_commit: {
    id: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
    timestamp: '2019-05-15T15:20:30-04:00',
    message: 'Update README.md',
  },
  repository: {
    id: 186853002,
    name: 'Hello-World',
    full_name: 'Codertocat/Hello-World',
    pushed_at: 1557948030,
    default_branch: 'master',
  },
  pusher: { name: 'Codertocat', email: '21031067+Codertocat@users.noreply.github.com' },
  sender: { login: 'Codertocat', id: 21031067, type: 'User' },
};

const githubPullRequest = {
  action: 'opened',
  number: 2,
  pull_request: {
    number: 2,
    state: 'open',
    title: 'Update the README with new information.',
    head: { label: 'Codertocat:changes', ref: 'changes', sha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821' },
    base: { label: 'Codertocat:master', ref: 'master', sha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e' },
  },
  repository: { id: 186853002, full_name: 'Codertocat/Hello-World' },
  sender: { login: 'Codertocat' },
};

const gitlabPush = {
  object_kind: 'push',
  event_name: 'push',
  before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
  after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
  ref: 'refs/heads/master',
  checkout_sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
  user_id: 4,
  user_name: 'John Smith',
  user_username: 'jsmith',
  project_id: 15,
  project: { id: 15, name: 'Diaspora', path_with_namespace: 'mike/diaspora', default_branch: 'master' },
  commits: [{ id: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', timestamp: '2011-12-12T14:27:31+02:00' }],
  total_commits_count: 1,
};

describe('normalizePayload', () => {
  test('a Docker Hub push', () => {
    assert.deepEqual(normalizePayload(dockerHubPush, {}), {
      kind: 'image.pushed',
      provider: 'dockerhub',
      repository: 'svendowideit/testhook',
      tag: 'latest',
      pushedAt: '2014-12-03T00:22:41.000Z',
      actor: 'trustedbuilder',
    });
  });

  test('a Harbor push in the default format', () => {
    assert.deepEqual(normalizePayload(harborDefault, { 'content-type': 'application/json' }), {
      kind: 'image.pushed',
      provider: 'harbor',
      repository: 'test-webhook/debian',
      tag: 'latest',
      digest: 'sha256:8a9e9863dbb6e10edb5adfe917c00da84e1700fa76e7ed02476aa6e6fb8ee0d8',
      pushedAt: '2020-04-15T03:45:08.000Z',
      actor: 'admin',
    });
  });

  test('a Harbor push as a CloudEvent', () => {
    assert.deepEqual(normalizePayload(harborCloudEvent, { 'content-type': 'application/cloudevents+json' }), {
      kind: 'image.pushed',
      provider: 'harbor',
      repository: 'library/busybox',
      tag: 'sha256:954b378c',
      digest: 'sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4',
      pushedAt: '2023-03-06T06:08:43.000Z',
      actor: 'robot$library+ci',
    });
  });

  test('a GitHub push, recognised by X-GitHub-Event', () => {
    assert.deepEqual(normalizePayload(githubPush, { 'x-github-event': 'push' }), {
      kind: 'git.push',
      provider: 'github',
      repository: 'Codertocat/Hello-World',
      ref: 'refs/heads/main',
      branch: 'main',
      commit: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      pushedAt: '2019-05-15T19:20:30.000Z',
      actor: 'Codertocat',
    });
  });

  test('a GitHub tag push sets tag instead of branch', () => {
    const view = normalizePayload({ ...githubPush, ref: 'refs/tags/v1.2.0' }, { 'x-github-event': 'push' });
    assert.equal(view?.tag, 'v1.2.0');
    assert.equal('branch' in view, false);
  });

  test('a GitHub pull_request', () => {
    assert.deepEqual(normalizePayload(githubPullRequest, { 'x-github-event': 'pull_request' }), {
      kind: 'pull_request',
      provider: 'github',
      repository: 'Codertocat/Hello-World',
      action: 'opened',
      number: 2,
      branch: 'changes',
      baseBranch: 'master',
      commit: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
      actor: 'Codertocat',
    });
  });

  test('a GitLab push', () => {
    assert.deepEqual(normalizePayload(gitlabPush, { 'x-gitlab-event': 'Push Hook' }), {
      kind: 'git.push',
      provider: 'gitlab',
      repository: 'mike/diaspora',
      ref: 'refs/heads/master',
      branch: 'master',
      commit: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      actor: 'jsmith',
    });
  });

  test('unknown families, other GitHub events and non-objects have no view', () => {
    assert.equal(normalizePayload({ hello: 'world' }, {}), undefined);
    assert.equal(
      normalizePayload({ zen: 'Keep it logically awesome.', hook_id: 1 }, { 'x-github-event': 'ping' }),
      undefined,
    );
    assert.equal(normalizePayload({ ...harborDefault, type: 'PULL_ARTIFACT' }, {}), undefined);
    assert.equal(normalizePayload({ push_data: {} }, {}), undefined);
    assert.equal(normalizePayload('text', {}), undefined);
    assert.equal(normalizePayload(null, {}), undefined);
    assert.equal(normalizePayload([dockerHubPush], {}), undefined);
  });

  test('missing fields are omitted, never undefined', () => {
    const view = normalizePayload({ push_data: { tag: 'v1' }, repository: { repo_name: 'a/b' } }, {});
    assert.deepEqual(view, { kind: 'image.pushed', provider: 'dockerhub', repository: 'a/b', tag: 'v1' });
  });
});
