import type { TaskKind } from '../work/dispatcher.js';

/**
 * The custom resources a task becomes in a cluster (cutroom.io/v1alpha1): one kind per family
 * of work, so RBAC, quotas and `kubectl get` can tell renders from media work (ingest,
 * imports, probes; an ingest also makes the timeline thumbnail packs).
 * Shared by the CRD definitions, the kubernetes dispatcher and the operator.
 */

export const GROUP = 'cutroom.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export type TaskResourceKind = 'RenderTask' | 'ImportTask';

export interface TaskResourceType {
  kind: TaskResourceKind;
  plural: string;
  singular: string;
  shortNames: string[];
  /** The task kinds this resource carries in `spec.kind`. */
  taskKinds: TaskKind[];
}

export const TASK_RESOURCE_TYPES: readonly TaskResourceType[] = [
  { kind: 'RenderTask', plural: 'rendertasks', singular: 'rendertask', shortNames: ['rt', 'rtask'], taskKinds: ['render'] },
  {
    kind: 'ImportTask',
    plural: 'importtasks',
    singular: 'importtask',
    shortNames: ['imt', 'imtask'],
    taskKinds: ['ingest', 'import_url', 'mediainfo', 'project_import', 'probe'],
  },
];

export function resourceTypeForTask(kind: TaskKind): TaskResourceType {
  const type = TASK_RESOURCE_TYPES.find((t) => t.taskKinds.includes(kind));
  if (!type) throw new Error(`no task resource carries task kind ${kind}`);
  return type;
}

export function resourceTypeForKind(kind: string): TaskResourceType | undefined {
  return TASK_RESOURCE_TYPES.find((t) => t.kind === kind);
}

/** Labels every object Cutroom makes in a cluster carries (selectors of the informers). */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'app.kubernetes.io/component',
  /** The task resource an object belongs to (its name; task ids may not be label values). */
  taskResource: 'cutroom.io/task-resource',
  resourceKind: 'cutroom.io/task-resource-kind',
  attempt: 'cutroom.io/attempt',
} as const;

export const MANAGED_BY = 'cutroom';
export const ANNOTATIONS = { taskId: 'cutroom.io/task-id' } as const;

/** The finalizer that makes the operator delete a resource's Job (and pods) before it goes. */
export const JOB_CLEANUP_FINALIZER = 'cutroom.io/job-cleanup';
/** Key of the task token in the resource's Secret. */
export const TOKEN_SECRET_KEY = 'token';

/**
 * Kubernetes names are lowercase DNS labels, task ids are base64url: the resource is named
 * `t-` + the id's bytes in hex: reversible, valid for Job and pod names too, and short enough
 * (52 characters for ids up to 25 bytes; ids are 22) for the Job name `<resource>-a<attempt>`.
 */
export function resourceNameForTask(taskId: string): string {
  const name = `t-${Buffer.from(taskId, 'utf8').toString('hex')}`;
  // 52 leaves room for the Job suffix `-a<attempt>` under the 63 characters of a label value.
  if (name.length > 52) throw new Error(`task id ${taskId} is too long to name a Kubernetes resource`);
  return name;
}

export function taskIdFromResourceName(name: string): string | undefined {
  const match = /^t-((?:[0-9a-f]{2})+)$/.exec(name);
  return match ? Buffer.from(match[1]!, 'hex').toString('utf8') : undefined;
}

export type TaskPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** Quantities as the API accepts them: "500m", "2Gi", or a plain number. */
export interface ResourceList {
  cpu?: string | number;
  memory?: string | number;
  'ephemeral-storage'?: string | number;
}

export interface TaskResourceSpec {
  taskId: string;
  kind: TaskKind;
  attempt: number;
  gpu: boolean;
  internalUrl: string;
  deadlineSeconds: number;
  resources?: { requests?: ResourceList; limits?: ResourceList };
  tokenSecretRef: { name: string; key: string };
}

export interface TaskCondition {
  type: 'JobCreated' | 'Running' | 'Complete' | 'Failed';
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface AttemptRecord {
  attempt: number;
  job: string;
  jobUid?: string;
  phase: TaskPhase;
  startTime?: string;
  completionTime?: string;
  reason?: string;
  message?: string;
  node?: string;
}

export interface TaskResourceStatus {
  phase?: TaskPhase;
  /** Percent done as the render node reports it (0-100). */
  progress?: number;
  /** The attempt the phase and times below describe. */
  attempt?: number;
  attempts?: AttemptRecord[];
  startTime?: string;
  completionTime?: string;
  reason?: string;
  message?: string;
  node?: string;
  job?: string;
  observedGeneration?: number;
  conditions?: TaskCondition[];
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | Date;
  deletionTimestamp?: string | Date;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface TaskResource {
  apiVersion: string;
  kind: TaskResourceKind;
  metadata: ObjectMeta;
  spec: TaskResourceSpec;
  status?: TaskResourceStatus;
}

export function isFinished(phase: TaskPhase | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

export function ownerReferenceTo(resource: TaskResource, options: { controller: boolean; blockOwnerDeletion: boolean }): OwnerReference {
  if (!resource.metadata.uid) throw new Error(`resource ${resource.metadata.name} has no uid yet`);
  return {
    apiVersion: resource.apiVersion,
    kind: resource.kind,
    name: resource.metadata.name,
    uid: resource.metadata.uid,
    controller: options.controller,
    blockOwnerDeletion: options.blockOwnerDeletion,
  };
}

/** The Job of one attempt: a new attempt gets a new Job, so `kubectl get jobs` shows the history. */
export function jobNameFor(resourceName: string, attempt: number): string {
  return `${resourceName}-a${attempt}`;
}

/**
 * The Secret holding an attempt's token. One per attempt, so the control plane only ever
 * creates Secrets (its role cannot change an existing one), and a new attempt's pod can never
 * start with the last attempt's token.
 */
export function tokenSecretNameFor(resourceName: string, attempt: number): string {
  return `${resourceName}-a${attempt}-token`;
}
