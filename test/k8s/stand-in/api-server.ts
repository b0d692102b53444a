import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { badRequest, methodNotAllowed, notFound, StatusError } from './errors.js';
import { parseFieldSelector, parseLabelSelector } from './label-selector.js';
import type { ObjectStore, StoreEvent } from './object-store.js';
import type { DeleteOptions, Propagation, Registry } from './registry.js';
import { apiVersionOf, typeKey, type KubeObject, type ResourceType } from './resource-types.js';
import { toTable } from './table.js';

/**
 * The HTTP front of the stand-in: the Kubernetes REST paths, verbs, discovery documents, watch
 * streams (newline-delimited JSON events, headers flushed at once) and Status errors, so that
 * `@kubernetes/client-node` and `kubectl` talk to it as to a real API server.
 */

export interface AuditRecord {
  /** The bearer token, which the tests use to tell components apart. */
  user: string;
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  code: number;
  atMs: number;
}

export interface ApiServerOptions {
  /** Watches end after this long (real servers end them after minutes), so clients re-watch. */
  maxWatchSeconds?: number;
  /** Interval of BOOKMARK events for watches that allow them. */
  bookmarkIntervalMs?: number;
}

interface Target {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export class StandInApiServer {
  readonly server: http.Server;
  readonly audit: AuditRecord[] = [];
  /** Fault injection: a rule that returns an error fails the request with it. */
  readonly faults: Array<(request: AuditRecord) => StatusError | undefined> = [];
  private readonly watches = new Set<() => void>();

  constructor(
    private readonly types: () => readonly ResourceType[],
    private readonly registry: Registry,
    private readonly store: ObjectStore,
    private readonly options: ApiServerOptions = {},
  ) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => this.fail(res, error));
    });
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, host, resolve));
    return `http://${host}:${(this.server.address() as AddressInfo).port}`;
  }

  /** Ends every open watch, as an API server restart or a load balancer timeout does. */
  dropWatches(): void {
    for (const end of [...this.watches]) end();
  }

  async close(): Promise<void> {
    this.dropWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private send(res: http.ServerResponse, code: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private fail(res: http.ServerResponse, error: unknown): void {
    const status = error instanceof StatusError ? error : new StatusError(500, 'InternalError', (error as Error).message ?? String(error));
    if (status.code === 500) console.error('stand-in API server error', error);
    if (!res.headersSent) this.send(res, status.code, status.toStatus());
    else res.end();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (method === 'GET' && this.discovery(segments, res, req)) return;

    const target = this.resolve(segments);
    if (!target) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    const query = url.searchParams;
    const watch = query.get('watch') === 'true' || query.get('watch') === '1';
    const verb = this.verbOf(method, target, watch);
    const record: AuditRecord = {
      user: /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? 'anonymous',
      verb,
      group: target.type.group,
      resource: target.type.plural,
      subresource: target.subresource,
      namespace: target.namespace,
      name: target.name,
      code: 200,
      atMs: Date.now(),
    };
    this.audit.push(record);
    try {
      for (const fault of this.faults) {
        const error = fault(record);
        if (error) throw error;
      }
      await this.serve(verb, target, query, req, res, record);
    } catch (error) {
      record.code = error instanceof StatusError ? error.code : 500;
      throw error;
    }
  }

  private verbOf(method: string, target: Target, watch: boolean): string {
    switch (method) {
      case 'GET':
        return watch ? 'watch' : target.name ? 'get' : 'list';
      case 'POST':
        return 'create';
      case 'PUT':
        return 'update';
      case 'PATCH':
        return 'patch';
      case 'DELETE':
        return target.name ? 'delete' : 'deletecollection';
      default:
        throw methodNotAllowed(`${method} is not supported`);
    }
  }

  private async serve(
    verb: string,
    target: Target,
    query: URLSearchParams,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    record: AuditRecord,
  ): Promise<void> {
    const { type, namespace, name, subresource } = target;
    const dryRun = query.get('dryRun') === 'All';
    if (subresource && subresource !== 'status') throw notFound(type, `${name}/${subresource}`);
    switch (verb) {
      case 'watch':
        return this.watch(target, query, req, res);
      case 'list':
        return this.list(target, query, req, res);
      case 'get': {
        const object = this.registry.get(type, namespace, name!);
        return this.send(res, 200, wantsTable(req) ? toTable(type, [object], object.metadata.resourceVersion, query) : object);
      }
      case 'create': {
        if (name) throw methodNotAllowed('POST on a named resource is not allowed');
        const created = this.registry.create(type, namespace, (await readJson(req)) as KubeObject, { dryRun });
        record.name = created.metadata.name;
        return this.send(res, 201, created);
      }
      case 'update':
        return this.send(res, 200, this.registry.update(type, namespace, name!, (await readJson(req)) as KubeObject, { subresource, dryRun }));
      case 'patch':
        return this.send(
          res,
          200,
          this.registry.patch(type, namespace, name!, req.headers['content-type'] ?? '', await readJson(req), { subresource, dryRun }),
        );
      case 'delete': {
        const body = ((await readJson(req, true)) ?? {}) as Record<string, unknown>;
        const options: DeleteOptions = {
          propagationPolicy: (query.get('propagationPolicy') ?? body.propagationPolicy ?? (body.orphanDependents === true ? 'Orphan' : undefined)) as
            Propagation | undefined,
          gracePeriodSeconds: numberOr(query.get('gracePeriodSeconds') ?? body.gracePeriodSeconds),
          preconditions: body.preconditions as DeleteOptions['preconditions'],
        };
        const { object, removed } = this.registry.delete(type, namespace, name!, options);
        return this.send(res, removed ? 200 : 202, object);
      }
      default:
        throw methodNotAllowed(`${verb} is not supported by the stand-in`);
    }
  }

  private list(target: Target, query: URLSearchParams, req: http.IncomingMessage, res: http.ServerResponse): void {
    const { type, namespace } = target;
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(query.get('fieldSelector'));
    const resourceVersion = String(this.store.currentVersion);
    let items = this.store.list(type, namespace).filter((o) => labels(o.metadata.labels) && fields(o as never));
    const limit = Number(query.get('limit') ?? 0);
    const offset = Number(query.get('continue') ? Buffer.from(query.get('continue')!, 'base64url').toString() : 0);
    let next: string | undefined;
    if (limit > 0) {
      next = offset + limit < items.length ? Buffer.from(String(offset + limit)).toString('base64url') : undefined;
      items = items.slice(offset, offset + limit);
    }
    if (wantsTable(req)) return this.send(res, 200, toTable(type, items, resourceVersion, query, next));
    this.send(res, 200, {
      kind: type.listKind,
      apiVersion: apiVersionOf(type),
      metadata: { resourceVersion, ...(next ? { continue: next } : {}) },
      items,
    });
  }

  private watch(target: Target, query: URLSearchParams, req: http.IncomingMessage, res: http.ServerResponse): void {
    const { type, namespace } = target;
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fieldSelector = target.name ? `metadata.name=${target.name}` : query.get('fieldSelector');
    const fields = parseFieldSelector(fieldSelector);
    const matches = (object: KubeObject) =>
      (namespace === undefined || object.metadata.namespace === namespace) && labels(object.metadata.labels) && fields(object as never);

    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    // client-node's informer waits for the headers before it reports the watch as started.
    res.flushHeaders();
    const write = (eventType: string, object: unknown) => res.write(`${JSON.stringify({ type: eventType, object })}\n`);

    const visible = new Set<string>();
    const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const deliver = (event: StoreEvent) => {
      const wasVisible = visible.has(key(event.object));
      const isVisible = event.type !== 'DELETED' && matches(event.object);
      if (isVisible) {
        visible.add(key(event.object));
        write(wasVisible ? 'MODIFIED' : 'ADDED', event.object);
      } else if (wasVisible || (event.type === 'DELETED' && matches(event.object))) {
        visible.delete(key(event.object));
        // An object leaving the selector is a deletion from this watch's point of view.
        write('DELETED', event.object);
      }
    };

    const since = query.get('resourceVersion');
    if (!since || since === '0') {
      for (const object of this.store.list(type, namespace)) {
        if (!matches(object)) continue;
        visible.add(key(object));
        write('ADDED', object);
      }
    } else {
      let backlog: StoreEvent[];
      try {
        backlog = this.store.eventsSince(type, Number(since));
      } catch (error) {
        // As the real server: the watch starts, then one ERROR event with the 410 Status ends it.
        write('ERROR', (error as StatusError).toStatus());
        res.end();
        return;
      }
      // What the client saw at that version: objects created since then were not there yet.
      const firstEvent = new Map<string, StoreEvent>();
      for (const event of backlog) if (!firstEvent.has(key(event.object))) firstEvent.set(key(event.object), event);
      for (const object of this.store.list(type, namespace)) if (!firstEvent.has(key(object)) && matches(object)) visible.add(key(object));
      // A changed object was visible if it matched before its first change since then (an object
      // patched out of the selector meanwhile must still reach the client as a deletion).
      for (const [k, event] of firstEvent) if (event.previous && matches(event.previous)) visible.add(k);
      for (const event of backlog) deliver(event);
    }

    const unsubscribe = this.store.subscribe((event) => {
      if (event.typeKey === typeKey(type)) deliver(event);
    });
    const timers: NodeJS.Timeout[] = [];
    const end = () => {
      unsubscribe();
      timers.forEach(clearTimeout);
      this.watches.delete(end);
      if (!res.writableEnded) res.end();
    };
    this.watches.add(end);
    req.on('close', end);
    res.on('close', end);
    const timeoutSeconds = Math.min(Number(query.get('timeoutSeconds') ?? Infinity), this.options.maxWatchSeconds ?? Infinity);
    if (Number.isFinite(timeoutSeconds)) timers.push(setTimeout(end, timeoutSeconds * 1000));
    if (query.get('allowWatchBookmarks') === 'true' && this.options.bookmarkIntervalMs) {
      const bookmark = () => {
        write('BOOKMARK', { kind: type.kind, apiVersion: apiVersionOf(type), metadata: { resourceVersion: String(this.store.currentVersion) } });
        timers.push(setTimeout(bookmark, this.options.bookmarkIntervalMs));
      };
      timers.push(setTimeout(bookmark, this.options.bookmarkIntervalMs));
    }
  }

  private resolve(segments: string[]): Target | undefined {
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api' && segments.length >= 3) [group, version, rest] = ['', segments[1]!, segments.slice(2)];
    else if (segments[0] === 'apis' && segments.length >= 4) [group, version, rest] = [segments[1]!, segments[2]!, segments.slice(3)];
    else return undefined;
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [plural, name, subresource, ...extra] = rest;
    if (extra.length > 0) return undefined;
    const type = this.types().find((t) => t.group === group && t.version === version && t.plural === plural);
    if (!type) return undefined;
    if (!type.namespaced) namespace = undefined;
    else if (name && !namespace) throw badRequest(`${plural} is namespaced: the path needs /namespaces/NAMESPACE`);
    return { type, namespace, name, subresource };
  }

  /** /version, /api, /apis, /apis/GROUP and the per-version resource lists. */
  private discovery(segments: string[], res: http.ServerResponse, req: http.IncomingMessage): boolean {
    const types = this.types();
    const path = segments.join('/');
    const groups = [...new Set(types.filter((t) => t.group).map((t) => t.group))];
    const groupDocument = (group: string) => {
      const versions = [...new Set(types.filter((t) => t.group === group).map((t) => t.version))];
      return {
        name: group,
        versions: versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${group}/${versions[0]}`, version: versions[0] },
      };
    };
    const resourceList = (group: string, version: string) => ({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: group ? `${group}/${version}` : version,
      resources: types
        .filter((t) => t.group === group && t.version === version)
        .flatMap((t) => [
          {
            name: t.plural,
            singularName: t.singular,
            namespaced: t.namespaced,
            kind: t.kind,
            verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
            ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
            ...(t.categories.length ? { categories: t.categories } : {}),
          },
          ...(t.hasStatus ? [{ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] }] : []),
        ]),
    });
    if (path === 'version') {
      this.send(res, 200, {
        major: '1',
        minor: '32',
        gitVersion: 'v1.32.0-cutroom-stand-in',
        gitCommit: 'stand-in',
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: 'none',
        compiler: 'none',
        platform: 'linux/amd64',
      });
      return true;
    }
    if (path === 'api') {
      this.send(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host ?? '' }],
      });
      return true;
    }
    if (path === 'apis') {
      this.send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(groupDocument) });
      return true;
    }
    if (segments[0] === 'apis' && segments.length === 2 && groups.includes(segments[1]!)) {
      this.send(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...groupDocument(segments[1]!) });
      return true;
    }
    if (segments[0] === 'api' && segments.length === 2 && segments[1] === 'v1') {
      this.send(res, 200, resourceList('', 'v1'));
      return true;
    }
    if (segments[0] === 'apis' && segments.length === 3 && types.some((t) => t.group === segments[1] && t.version === segments[2])) {
      this.send(res, 200, resourceList(segments[1]!, segments[2]!));
      return true;
    }
    return false;
  }
}

function wantsTable(req: http.IncomingMessage): boolean {
  return /as=Table/.test(req.headers.accept ?? '');
}

function numberOr(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid gracePeriodSeconds ${String(value)}`);
  return n;
}

async function readJson(req: http.IncomingMessage, optional = false): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) {
    if (optional) return undefined;
    throw badRequest('the request body is empty');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("couldn't get version/kind; json parse error: the body is not JSON");
  }
}
