import type { RenderedObject } from './render-chart.js';

/**
 * Checks a rendered object as the API server would on create, as far as can be done offline:
 * against the Kubernetes API schemas (kubernetes-models: types, required fields, formats, for
 * built-in kinds and the Prometheus Operator's), and the name and label rules the schemas do not
 * carry. Field names the schemas do not know are not caught (the API server's strict field
 * validation would).
 */

type Model = new (data: object) => { validate(): void };

const modelModules: Record<string, string> = {
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
};

async function modelFor(apiVersion: string, kind: string): Promise<Model | undefined> {
  const base = modelModules[apiVersion] ?? `kubernetes-models/${apiVersion}`;
  try {
    const module = (await import(`${base}/${kind}`)) as Record<string, Model>;
    return module[kind];
  } catch {
    return undefined;
  }
}

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** Kinds whose names become DNS labels (Service hostnames, pod name prefixes). */
const LABEL_NAMED = new Set(['Service', 'Deployment', 'StatefulSet', 'Job', 'CronJob']);

function labelProblems(where: string, labels: Record<string, unknown> | undefined): string[] {
  return Object.entries(labels ?? {}).flatMap(([key, value]) => {
    const name = key.split('/').at(-1)!;
    const problems: string[] = [];
    if (name.length > 63 || !LABEL_VALUE.test(name)) problems.push(`${where}: label key ${key} is not valid`);
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value))
      problems.push(`${where}: label ${key}=${String(value)} is not a valid label value`);
    return problems;
  });
}

/** What the API server would refuse in this object; empty when nothing. */
export async function validateObject(object: RenderedObject): Promise<string[]> {
  const where = `${object.__source} ${object.kind}/${object.metadata?.name}`;
  const Model = await modelFor(object.apiVersion, object.kind);
  if (!Model) return [`${where}: no schema for ${object.apiVersion} ${object.kind}`];
  const problems: string[] = [];
  const { __source: _source, ...data } = object;
  try {
    new Model(data).validate();
  } catch (error) {
    problems.push(`${where}: ${(error as Error).message}`);
  }
  const name = object.metadata?.name ?? '';
  if (LABEL_NAMED.has(object.kind) ? name.length > 63 || !DNS_LABEL.test(name) : name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    problems.push(`${where}: name ${name} (${name.length} characters) is not valid for a ${object.kind}`);
  }
  // A StatefulSet's pods carry controller-revision-hash=<name>-<10 characters>: at most 63.
  if (object.kind === 'StatefulSet' && name.length > 52) problems.push(`${where}: StatefulSet name longer than 52 characters`);
  problems.push(...labelProblems(where, object.metadata?.labels));
  const template = object.spec?.template;
  if (template) {
    problems.push(...labelProblems(`${where} pod template`, template.metadata?.labels));
    for (const [key, value] of Object.entries<string>(object.spec?.selector?.matchLabels ?? {})) {
      if (template.metadata?.labels?.[key] !== value) problems.push(`${where}: selector ${key}=${value} does not match its pod template`);
    }
  }
  return problems;
}
