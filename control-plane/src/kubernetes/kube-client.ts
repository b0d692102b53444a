import { ApiException, BatchV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

/** Kubernetes API access shared by the dispatcher and the operator. */

export interface KubeClients {
  kubeConfig: KubeConfig;
  customObjects: CustomObjectsApi;
  batch: BatchV1Api;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
}

/**
 * A KUBECONFIG file when one is named; otherwise the pod's service account when running in a
 * cluster; otherwise ~/.kube/config.
 */
export function loadKubeConfig(options: { kubeconfigPath: string | undefined; inCluster: boolean }): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (options.kubeconfigPath) kubeConfig.loadFromFile(options.kubeconfigPath);
  else if (options.inCluster) kubeConfig.loadFromCluster();
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}

export function makeClients(kubeConfig: KubeConfig): KubeClients {
  return {
    kubeConfig,
    customObjects: kubeConfig.makeApiClient(CustomObjectsApi),
    batch: kubeConfig.makeApiClient(BatchV1Api),
    core: kubeConfig.makeApiClient(CoreV1Api),
    coordination: kubeConfig.makeApiClient(CoordinationV1Api),
  };
}

/** client-node sends JSON patches unless told otherwise; these say merge patch. */
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface ApiStatus {
  code: number;
  reason: string;
  message: string;
}

/** The HTTP code and Status reason of a failed API call (undefined when it was not an API error). */
export function apiStatus(error: unknown): ApiStatus | undefined {
  if (!(error instanceof ApiException)) return undefined;
  let body: unknown = error.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // not a Status object: keep the text as the message
    }
  }
  const status = (typeof body === 'object' && body !== null ? body : {}) as { reason?: string; message?: string };
  return { code: error.code, reason: status.reason ?? '', message: status.message ?? (typeof body === 'string' ? body : '') };
}

export const isNotFound = (error: unknown) => apiStatus(error)?.code === 404;
export const isAlreadyExists = (error: unknown) => apiStatus(error)?.code === 409 && apiStatus(error)?.reason === 'AlreadyExists';
export const isConflict = (error: unknown) => apiStatus(error)?.code === 409 && apiStatus(error)?.reason !== 'AlreadyExists';

/** A short description of an API failure for logs and errors (never the request body). */
export function describeApiError(error: unknown): string {
  const status = apiStatus(error);
  if (status) return `${status.code} ${status.reason}: ${status.message}`.trim();
  return (error as Error)?.message ?? String(error);
}

/** Kubernetes times: RFC 3339 in whole seconds, as the API server writes them. */
export function kubeTime(value: Date | string | number | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return undefined;
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
