import { gone } from './errors.js';
import { typeKey, type KubeObject, type ResourceType } from './resource-types.js';

/**
 * Storage with etcd's versioning: one cluster-wide resourceVersion counter, every change an
 * event kept in a bounded history so a watch can resume from any version still in it; older
 * versions answer 410 Gone, as after an etcd compaction.
 */

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  typeKey: string;
  object: KubeObject;
  /** The object before this change (none for ADDED): what a watch resuming before it saw. */
  previous?: KubeObject;
  resourceVersion: number;
}

export class ObjectStore {
  private revision = 1000;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private history: StoreEvent[] = [];
  /** Watches may resume from this version or later. */
  private oldestResumable = this.revision;
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private readonly pending: StoreEvent[] = [];
  private delivering = false;

  constructor(private readonly historyLimit = 10_000) {}

  get currentVersion(): number {
    return this.revision;
  }

  private bucket(type: ResourceType): Map<string, KubeObject> {
    const key = typeKey(type);
    let bucket = this.objects.get(key);
    if (!bucket) this.objects.set(key, (bucket = new Map()));
    return bucket;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const object = this.bucket(type).get(`${namespace ?? ''}/${name}`);
    return object && structuredClone(object);
  }

  list(type: ResourceType, namespace?: string): KubeObject[] {
    return [...this.bucket(type).values()]
      .filter((object) => namespace === undefined || object.metadata.namespace === namespace)
      .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))
      .map((object) => structuredClone(object));
  }

  /** Every stored object of every type (the garbage collector's view). */
  all(): Array<{ typeKey: string; object: KubeObject }> {
    return [...this.objects.entries()].flatMap(([key, bucket]) => [...bucket.values()].map((object) => ({ typeKey: key, object: structuredClone(object) })));
  }

  /** Stores a new or changed object under a new resourceVersion and emits the event. */
  put(type: ResourceType, object: KubeObject, eventType: 'ADDED' | 'MODIFIED'): KubeObject {
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.revision);
    const key = `${stored.metadata.namespace ?? ''}/${stored.metadata.name}`;
    const previous = this.bucket(type).get(key);
    this.bucket(type).set(key, stored);
    this.emit({ type: eventType, typeKey: typeKey(type), object: stored, previous, resourceVersion: this.revision });
    return structuredClone(stored);
  }

  remove(type: ResourceType, object: KubeObject): KubeObject {
    const key = `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    const removed = this.bucket(type).get(key);
    if (!removed) return object;
    this.bucket(type).delete(key);
    const final = structuredClone(removed);
    final.metadata.resourceVersion = String(++this.revision);
    this.emit({ type: 'DELETED', typeKey: typeKey(type), object: final, previous: removed, resourceVersion: this.revision });
    return structuredClone(final);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.oldestResumable = dropped.at(-1)!.resourceVersion;
    }
    // A listener that writes while being told of an event must not overtake that event for the
    // listeners after it: deliver strictly in resourceVersion order.
    this.pending.push(event);
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let next = this.pending.shift(); next; next = this.pending.shift()) {
        for (const listener of this.listeners) {
          try {
            listener(next);
          } catch (error) {
            console.error('stand-in store listener failed', error);
          }
        }
      }
    } finally {
      this.delivering = false;
    }
  }

  /** Forgets the event history, as an etcd compaction does: older watches get 410 Gone. */
  compact(): void {
    this.history = [];
    this.oldestResumable = this.revision;
  }

  /** Events of a type after `resourceVersion`, or 410 when that version is compacted away. */
  eventsSince(type: ResourceType, resourceVersion: number): StoreEvent[] {
    if (resourceVersion < this.oldestResumable) {
      throw gone(`too old resource version: ${resourceVersion} (${this.oldestResumable})`);
    }
    const key = typeKey(type);
    return this.history.filter((event) => event.typeKey === key && event.resourceVersion > resourceVersion);
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
