import type { ObjectStore } from './object-store.js';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, type Registry } from './registry.js';
import type { KubeObject, ResourceType } from './resource-types.js';

/**
 * The garbage collector of kube-controller-manager, for owner references:
 *  - background: a dependent whose owners are all gone is deleted;
 *  - foreground: an owner marked `foregroundDeletion` has its dependents deleted and goes once
 *    no dependent with blockOwnerDeletion is left;
 *  - orphan: an owner marked `orphan` has its references removed from its dependents, then goes.
 * It runs a pass after every change (coalesced), like the real one reacting to its informers.
 */
export class GarbageCollector {
  private scheduled = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: Registry,
    private readonly typeOf: (typeKey: string) => ResourceType,
  ) {
    this.unsubscribe = store.subscribe(() => this.schedule());
  }

  close(): void {
    this.unsubscribe();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      try {
        this.pass();
      } catch (error) {
        console.error('stand-in garbage collector pass failed', error);
        this.schedule();
      }
    });
  }

  private pass(): void {
    const all = this.store.all();
    const byUid = new Map(all.map((entry) => [entry.object.metadata.uid as string, entry]));
    const dependentsOf = (uid: string) => all.filter(({ object }) => (object.metadata.ownerReferences ?? []).some((ref: { uid: string }) => ref.uid === uid));

    for (const { typeKey, object } of all) {
      const type = this.typeOf(typeKey);
      const finalizers: string[] = object.metadata.finalizers ?? [];
      if (!object.metadata.deletionTimestamp) continue;
      if (finalizers.includes(ORPHAN_FINALIZER)) {
        for (const dependent of dependentsOf(object.metadata.uid)) {
          this.tryPatch(this.typeOf(dependent.typeKey), dependent.object, (d) => {
            d.metadata.ownerReferences = d.metadata.ownerReferences.filter((ref: { uid: string }) => ref.uid !== object.metadata.uid);
            if (d.metadata.ownerReferences.length === 0) delete d.metadata.ownerReferences;
          });
        }
        this.tryPatch(type, object, (o) => (o.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f: string) => f !== ORPHAN_FINALIZER)));
      } else if (finalizers.includes(FOREGROUND_FINALIZER)) {
        const dependents = dependentsOf(object.metadata.uid);
        for (const dependent of dependents) {
          if (dependent.object.metadata.deletionTimestamp) continue;
          const hasOwnDependents = dependentsOf(dependent.object.metadata.uid).length > 0;
          this.tryDelete(this.typeOf(dependent.typeKey), dependent.object, hasOwnDependents ? 'Foreground' : 'Background');
        }
        const blocking = dependents.filter(({ object: d }) =>
          d.metadata.ownerReferences.some((ref: { uid: string; blockOwnerDeletion?: boolean }) => ref.uid === object.metadata.uid && ref.blockOwnerDeletion),
        );
        if (blocking.length === 0) {
          this.tryPatch(type, object, (o) => (o.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f: string) => f !== FOREGROUND_FINALIZER)));
        }
      }
    }

    for (const { typeKey, object } of all) {
      const refs: Array<{ uid: string }> = object.metadata.ownerReferences ?? [];
      if (refs.length === 0) continue;
      const absent = refs.filter((ref) => !byUid.has(ref.uid));
      if (absent.length === 0) continue;
      const type = this.typeOf(typeKey);
      if (absent.length === refs.length) {
        if (!object.metadata.deletionTimestamp) this.tryDelete(type, object, 'Background');
      } else {
        this.tryPatch(type, object, (o) => (o.metadata.ownerReferences = refs.filter((ref) => byUid.has(ref.uid))));
      }
    }
  }

  private tryDelete(type: ResourceType, object: KubeObject, propagationPolicy: 'Background' | 'Foreground'): void {
    try {
      this.registry.delete(type, object.metadata.namespace, object.metadata.name!, { propagationPolicy, preconditions: { uid: object.metadata.uid } });
    } catch (error) {
      if ((error as { code?: number }).code !== 404 && (error as { code?: number }).code !== 409) throw error;
    }
  }

  private tryPatch(type: ResourceType, object: KubeObject, change: (copy: KubeObject) => void): void {
    const latest = this.store.get(type, object.metadata.namespace, object.metadata.name!);
    if (!latest || latest.metadata.uid !== object.metadata.uid) return;
    change(latest);
    this.registry.update(type, latest.metadata.namespace, latest.metadata.name!, latest);
  }
}
