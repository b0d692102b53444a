import type { KubeObject, PrinterColumn, ResourceType } from './resource-types.js';

/**
 * Server-side printing: `kubectl get` asks for `as=Table` and prints the columns it is given,
 * which for a CRD are its additionalPrinterColumns (dates turned into ages, as the server does).
 */

const NAME_COLUMN = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 };
const AGE_COLUMN: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation' };

export function toTable(type: ResourceType, objects: KubeObject[], resourceVersion: string | undefined, query: URLSearchParams, next?: string) {
  const columns = type.printerColumns.length > 0 ? type.printerColumns : [AGE_COLUMN];
  const include = query.get('includeObject') ?? 'PartialObjectMetadata';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion, ...(next ? { continue: next } : {}) },
    columnDefinitions: [
      NAME_COLUMN,
      ...columns.map((c) => ({
        name: c.name,
        type: c.type === 'date' ? 'string' : c.type,
        format: '',
        description: c.description ?? '',
        priority: c.priority ?? 0,
      })),
    ],
    rows: objects.map((object) => ({
      cells: [object.metadata.name, ...columns.map((c) => cell(c, object))],
      object:
        include === 'None'
          ? undefined
          : include === 'Object'
            ? object
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata },
    })),
  };
}

function cell(column: PrinterColumn, object: KubeObject): unknown {
  const value = column.jsonPath
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), object);
  if (value === undefined || value === null) return null;
  if (column.type === 'date') return humanDuration(Date.now() - Date.parse(String(value)));
  return value;
}

/** apimachinery's HumanDuration, the age format of every `kubectl get`. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  return `${Math.floor(hours / 24 / 365)}y`;
}
