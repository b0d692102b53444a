import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import path from 'node:path';
import {
  ApiException,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { startStandInCluster, type StandInCluster } from './stand-in/cluster.js';

/**
 * The real @kubernetes/client-node against the stand-in API server: what Cutroom's dispatcher
 * and operator rely on must behave as on a real cluster.
 */

const group = 'cutroom.io';
const version = 'v1alpha1';
const namespace = 'default';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const renderTask = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'cutroom.io/v1alpha1',
  kind: 'RenderTask',
  metadata: { name, labels: { team: 'a' } },
  spec: { taskId: name, kind: 'render', attempt: 1, internalUrl: 'http://cp:8080', tokenSecretRef: { name, key: 'token' }, ...extra },
});

const statusOf = (error: unknown) => {
  expect(error).toBeInstanceOf(ApiException);
  const { code, body } = error as ApiException<unknown>;
  return { code, ...(JSON.parse(String(body)) as { reason: string; message: string; kind: string; details?: { causes?: Array<{ field: string }> } }) };
};

describe('@kubernetes/client-node against the stand-in API server', () => {
  let cluster: StandInCluster;
  let objects: CustomObjectsApi;
  beforeAll(async () => {
    cluster = await startStandInCluster({ crds: [path.resolve('crds')], api: { bookmarkIntervalMs: 50 } });
    objects = cluster.kubeConfig().makeApiClient(CustomObjectsApi);
  });
  afterAll(() => cluster?.close());

  const create = (body: object) => objects.createNamespacedCustomObject({ group, version, namespace, plural: 'rendertasks', body });
  const get = (name: string) => objects.getNamespacedCustomObject({ group, version, namespace, plural: 'rendertasks', name });

  it('creates, defaults, prunes and validates custom resources against the CRD schema', async () => {
    const created = await create(renderTask('crud-1', { notInSchema: 'dropped' }));
    expect(created.metadata).toMatchObject({ name: 'crud-1', namespace, generation: 1 });
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.spec).toMatchObject({ gpu: false, deadlineSeconds: 3600 });
    expect(created.spec.notInSchema).toBeUndefined();

    const duplicate = statusOf(await create(renderTask('crud-1')).catch((e) => e));
    expect(duplicate).toMatchObject({ code: 409, reason: 'AlreadyExists', kind: 'Status' });

    const invalid = statusOf(await create(renderTask('crud-2', { attempt: 0, kind: 'ingest' })).catch((e) => e));
    expect(invalid).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(invalid.details!.causes!.map((c) => c.field).sort()).toEqual(['spec.attempt', 'spec.kind']);
    const badName = statusOf(await create(renderTask('Not_A_Name')).catch((e) => e));
    expect(badName).toMatchObject({ code: 422, reason: 'Invalid' });

    expect(statusOf(await get('missing').catch((e) => e))).toMatchObject({ code: 404, reason: 'NotFound' });
  });

  it('lists with label selectors and pages with limit/continue', async () => {
    await create({ ...renderTask('list-1'), metadata: { name: 'list-1', labels: { team: 'b', tier: 'gpu' } } });
    await create({ ...renderTask('list-2'), metadata: { name: 'list-2', labels: { team: 'b' } } });
    const list = (labelSelector: string) =>
      objects
        .listNamespacedCustomObject({ group, version, namespace, plural: 'rendertasks', labelSelector })
        .then((l) => l.items.map((i: KubernetesObject) => i.metadata!.name));
    expect(await list('team=b')).toEqual(['list-1', 'list-2']);
    expect(await list('team=b,tier')).toEqual(['list-1']);
    expect(await list('team in (b),!tier')).toEqual(['list-2']);
    expect(await list('team!=b')).not.toContain('list-1');

    const first = await objects.listNamespacedCustomObject({ group, version, namespace, plural: 'rendertasks', labelSelector: 'team=b', limit: 1 });
    expect(first.items).toHaveLength(1);
    const second = await objects.listNamespacedCustomObject({
      group,
      version,
      namespace,
      plural: 'rendertasks',
      labelSelector: 'team=b',
      limit: 1,
      _continue: first.metadata.continue,
    });
    expect(second.items.map((i: KubernetesObject) => i.metadata!.name)).toEqual(['list-2']);
    expect(second.metadata.continue).toBeUndefined();
  });

  it('patches with merge and JSON patches, with resourceVersion preconditions', async () => {
    const created = await create(renderTask('patch-1'));
    const merged = await objects.patchNamespacedCustomObject(
      { group, version, namespace, plural: 'rendertasks', name: 'patch-1', body: { spec: { attempt: 2 }, metadata: { labels: { team: null, extra: 'x' } } } },
      mergePatch,
    );
    expect(merged.spec.attempt).toBe(2);
    expect(merged.metadata.labels).toEqual({ extra: 'x' });
    expect(merged.metadata.generation).toBe(2);
    expect(Number(merged.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));

    // client-node's default patch type is a JSON patch.
    const patched = await objects.patchNamespacedCustomObject({
      group,
      version,
      namespace,
      plural: 'rendertasks',
      name: 'patch-1',
      body: [
        { op: 'test', path: '/spec/attempt', value: 2 },
        { op: 'replace', path: '/spec/gpu', value: true },
      ],
    });
    expect(patched.spec.gpu).toBe(true);
    const failedTest = await objects
      .patchNamespacedCustomObject({
        group,
        version,
        namespace,
        plural: 'rendertasks',
        name: 'patch-1',
        body: [{ op: 'test', path: '/spec/attempt', value: 1 }],
      })
      .catch((e) => e);
    expect(statusOf(failedTest).code).toBe(422);

    const stale = await objects
      .patchNamespacedCustomObject(
        {
          group,
          version,
          namespace,
          plural: 'rendertasks',
          name: 'patch-1',
          body: { metadata: { resourceVersion: created.metadata.resourceVersion }, spec: { attempt: 3 } },
        },
        mergePatch,
      )
      .catch((e) => e);
    expect(statusOf(stale)).toMatchObject({ code: 409, reason: 'Conflict' });

    const invalid = await objects
      .patchNamespacedCustomObject({ group, version, namespace, plural: 'rendertasks', name: 'patch-1', body: { spec: { attempt: -1 } } }, mergePatch)
      .catch((e) => e);
    expect(statusOf(invalid).code).toBe(422);

    // Strategic merge is for built-in types; the API server refuses it for custom resources.
    const strategic = await objects
      .patchNamespacedCustomObject(
        { group, version, namespace, plural: 'rendertasks', name: 'patch-1', body: { spec: { attempt: 4 } } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      )
      .catch((e) => e);
    expect(statusOf(strategic).code).toBe(415);
  });

  it('keeps status behind the status subresource', async () => {
    await create({ ...renderTask('status-1'), status: { phase: 'Succeeded' } });
    expect((await get('status-1')).status).toBeUndefined();
    const patchStatus = (body: object) =>
      objects.patchNamespacedCustomObjectStatus({ group, version, namespace, plural: 'rendertasks', name: 'status-1', body }, mergePatch);
    const withStatus = await patchStatus({ status: { phase: 'Running', progress: 40 }, spec: { attempt: 9 } });
    expect(withStatus.status).toEqual({ phase: 'Running', progress: 40 });
    expect(withStatus.spec.attempt).toBe(1);
    expect(withStatus.metadata.generation).toBe(1);
    expect(statusOf(await patchStatus({ status: { phase: 'Exploded' } }).catch((e) => e)).code).toBe(422);

    const mainPatch = await objects.patchNamespacedCustomObject(
      { group, version, namespace, plural: 'rendertasks', name: 'status-1', body: { status: { phase: 'Failed' } } },
      mergePatch,
    );
    expect(mainPatch.status.phase).toBe('Running');
  });

  it('holds a deleted resource until its finalizers are removed, then deletes it', async () => {
    await create({ ...renderTask('final-1'), metadata: { name: 'final-1', finalizers: ['example.com/hold'] } });
    const deleted = await objects.deleteNamespacedCustomObject({ group, version, namespace, plural: 'rendertasks', name: 'final-1' });
    expect(deleted.metadata.deletionTimestamp).toBeTruthy();
    const held = await get('final-1');
    expect(held.metadata.deletionTimestamp).toBe(deleted.metadata.deletionTimestamp);
    await objects.patchNamespacedCustomObject(
      { group, version, namespace, plural: 'rendertasks', name: 'final-1', body: { metadata: { finalizers: null } } },
      mergePatch,
    );
    expect(statusOf(await get('final-1').catch((e) => e)).code).toBe(404);
  });

  it('garbage-collects dependents by owner reference (background, foreground and orphan)', async () => {
    const core = cluster.kubeConfig().makeApiClient(CoreV1Api);
    const owner = await create(renderTask('gc-owner'));
    const ownerRef = { apiVersion: 'cutroom.io/v1alpha1', kind: 'RenderTask', name: 'gc-owner', uid: owner.metadata.uid };
    const secret = await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'gc-owner', ownerReferences: [ownerRef] }, stringData: { token: 's3cret' } },
    });
    expect(Buffer.from(secret.data!.token!, 'base64').toString()).toBe('s3cret');
    expect(secret.stringData).toBeUndefined();
    await objects.deleteNamespacedCustomObject({ group, version, namespace, plural: 'rendertasks', name: 'gc-owner' });
    await vi.waitFor(async () => expect(statusOf(await core.readNamespacedSecret({ namespace, name: 'gc-owner' }).catch((e) => e)).code).toBe(404), {
      timeout: 20_000,
      interval: 25,
    });

    // Foreground: the owner waits, marked, until its blocking dependents are gone.
    const fg = await create(renderTask('gc-fg'));
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: {
          name: 'gc-fg-dep',
          finalizers: ['example.com/slow'],
          ownerReferences: [{ ...ownerRef, name: 'gc-fg', uid: fg.metadata.uid, blockOwnerDeletion: true }],
        },
      },
    });
    await objects.deleteNamespacedCustomObject({ group, version, namespace, plural: 'rendertasks', name: 'gc-fg', propagationPolicy: 'Foreground' });
    const waiting = await vi.waitFor(
      async () => {
        const dep = await core.readNamespacedSecret({ namespace, name: 'gc-fg-dep' });
        expect(dep.metadata!.deletionTimestamp).toBeTruthy();
        return get('gc-fg');
      },
      { timeout: 20_000, interval: 25 },
    );
    expect(waiting.metadata.finalizers).toEqual(['foregroundDeletion']);
    await core.patchNamespacedSecret({ namespace, name: 'gc-fg-dep', body: [{ op: 'remove', path: '/metadata/finalizers' }] });
    await vi.waitFor(async () => expect(statusOf(await get('gc-fg').catch((e) => e)).code).toBe(404), { timeout: 20_000, interval: 25 });

    // Orphan: the dependents stay and lose their reference.
    const orphaning = await create(renderTask('gc-orphan'));
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'gc-orphan-dep', ownerReferences: [{ ...ownerRef, name: 'gc-orphan', uid: orphaning.metadata.uid }] } },
    });
    await objects.deleteNamespacedCustomObject({ group, version, namespace, plural: 'rendertasks', name: 'gc-orphan', propagationPolicy: 'Orphan' });
    await vi.waitFor(async () => expect(statusOf(await get('gc-orphan').catch((e) => e)).code).toBe(404), { timeout: 20_000, interval: 25 });
    expect((await core.readNamespacedSecret({ namespace, name: 'gc-orphan-dep' })).metadata!.ownerReferences).toBeUndefined();
  });

  it('streams watch events from a resourceVersion and answers 410 Gone for compacted versions', async () => {
    const before = await objects.listNamespacedCustomObject({ group, version, namespace, plural: 'rendertasks' });
    await create(renderTask('watch-1'));
    const seen: Array<[string, string]> = [];
    const watch = new Watch(cluster.kubeConfig());
    const request = await watch.watch(
      `/apis/${group}/${version}/namespaces/${namespace}/rendertasks`,
      { resourceVersion: before.metadata.resourceVersion },
      (type, object) => seen.push([type, object.metadata.name]),
      () => {},
    );
    await objects.deleteNamespacedCustomObject({ group, version, namespace, plural: 'rendertasks', name: 'watch-1' });
    await vi.waitFor(
      () =>
        expect(seen).toEqual([
          ['ADDED', 'watch-1'],
          ['DELETED', 'watch-1'],
        ]),
      { timeout: 20_000, interval: 25 },
    );
    request.abort();

    // Bookmarks, for the watches that ask for them, carry the current resourceVersion.
    const bookmarks: string[] = [];
    const withBookmarks = await watch.watch(
      `/apis/${group}/${version}/namespaces/${namespace}/rendertasks`,
      { resourceVersion: before.metadata.resourceVersion, allowWatchBookmarks: true },
      (type, object) => {
        if (type === 'BOOKMARK') bookmarks.push(object.metadata.resourceVersion);
      },
      () => {},
    );
    await vi.waitFor(() => expect(bookmarks.length).toBeGreaterThan(0), { timeout: 20_000, interval: 25 });
    expect(Number(bookmarks[0])).toBeGreaterThanOrEqual(Number(before.metadata.resourceVersion));
    withBookmarks.abort();

    cluster.store.compact();
    const errors: Array<{ code: number; reason: string }> = [];
    let ended = false;
    await watch.watch(
      `/apis/${group}/${version}/namespaces/${namespace}/rendertasks`,
      { resourceVersion: before.metadata.resourceVersion },
      (type, object) => {
        if (type === 'ERROR') errors.push(object);
      },
      () => (ended = true),
    );
    await vi.waitFor(() => expect(ended).toBe(true), { timeout: 20_000, interval: 25 });
    expect(errors).toMatchObject([{ code: 410, reason: 'Expired' }]);
  });

  it('keeps an informer in step across dropped watches, re-listing after 410 Gone', async () => {
    const kc = cluster.kubeConfig();
    const path_ = `/apis/${group}/${version}/namespaces/${namespace}/rendertasks`;
    const informer = makeInformer(
      kc,
      path_,
      () => objects.listNamespacedCustomObject({ group, version, namespace, plural: 'rendertasks', labelSelector: 'team=informer' }),
      'team=informer',
    );
    const events: string[] = [];
    informer.on('add', (o) => events.push(`add ${o.metadata!.name}`));
    informer.on('update', (o) => events.push(`update ${o.metadata!.name}`));
    informer.on('delete', (o) => events.push(`delete ${o.metadata!.name}`));
    await create({ ...renderTask('inf-1'), metadata: { name: 'inf-1', labels: { team: 'informer' } } });
    await informer.start();
    await vi.waitFor(() => expect(events).toEqual(['add inf-1']), { timeout: 20_000, interval: 25 });

    await create({ ...renderTask('inf-2'), metadata: { name: 'inf-2', labels: { team: 'informer' } } });
    await vi.waitFor(() => expect(events).toContain('add inf-2'), { timeout: 20_000, interval: 25 });

    // The watch drops while changes happen and history is compacted: the informer's next watch
    // gets 410 Gone, and it re-lists, seeing the addition and the deletion it missed.
    cluster.api.dropWatches();
    cluster.registry.create(cluster.type('rendertasks'), namespace, { ...renderTask('inf-3'), metadata: { name: 'inf-3', labels: { team: 'informer' } } });
    cluster.registry.delete(cluster.type('rendertasks'), namespace, 'inf-1');
    cluster.store.compact();
    await vi.waitFor(() => expect(events).toEqual(expect.arrayContaining(['add inf-3', 'delete inf-1'])), { timeout: 20_000, interval: 25 });
    expect(
      informer
        .list(namespace)
        .map((o) => o.metadata!.name)
        .sort(),
    ).toEqual(['inf-2', 'inf-3']);

    // Moving out of the label selector is a deletion for a selective watch.
    await objects.patchNamespacedCustomObject(
      { group, version, namespace, plural: 'rendertasks', name: 'inf-2', body: { metadata: { labels: { team: 'other' } } } },
      mergePatch,
    );
    await vi.waitFor(() => expect(events).toContain('delete inf-2'), { timeout: 20_000, interval: 25 });
    await informer.stop();
  });

  it('serves Leases with optimistic concurrency', async () => {
    const leases = cluster.kubeConfig().makeApiClient(CoordinationV1Api);
    const lease = await leases.createNamespacedLease({
      namespace,
      body: { metadata: { name: 'l1' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15 } },
    });
    const updated = await leases.replaceNamespacedLease({ namespace, name: 'l1', body: { ...lease, spec: { ...lease.spec, holderIdentity: 'b' } } });
    expect(updated.spec!.holderIdentity).toBe('b');
    const stale = await leases
      .replaceNamespacedLease({ namespace, name: 'l1', body: { ...lease, spec: { ...lease.spec, holderIdentity: 'c' } } })
      .catch((e) => e);
    expect(statusOf(stale)).toMatchObject({ code: 409, reason: 'Conflict' });
  });

  it('serves built-in types to the generic object API (strategic merge patch, discovery)', async () => {
    const generic = KubernetesObjectApi.makeApiClient(cluster.kubeConfig());
    await generic.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'generic-1', namespace, labels: { a: '1' } },
      stringData: { k: 'v' },
    } as KubernetesObject);
    // KubernetesObjectApi.patch defaults to a strategic merge patch.
    const patched = await generic.patch({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'generic-1', namespace, labels: { b: '2' } },
    } as KubernetesObject);
    expect(patched.metadata!.labels).toEqual({ a: '1', b: '2' });
    const jobs = cluster.kubeConfig().makeApiClient(BatchV1Api);
    const list = await jobs.listNamespacedJob({ namespace });
    expect(list.items).toEqual([]);
  });
});
