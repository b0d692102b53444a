import { isUtf8 } from 'node:buffer';
import { scanJson, type ByteSpan } from '../http/json-scan.js';
import { prepareData } from '../services/project-data.js';

/**
 * The work on request bodies that costs a pass over every byte (megabytes per autosave). It
 * runs on the CPU pool's threads for large bodies, so the event loop keeps answering others.
 */

export type JsonCheck = { ok: true; members: Map<string, ByteSpan> | undefined } | { ok: false; message: string };

/** A body is UTF-8 JSON text: where its top-level members lie, or what is wrong with it. */
export function checkJson(bytes: Uint8Array): JsonCheck {
  if (!isUtf8(bytes)) return { ok: false, message: 'it is not valid UTF-8' };
  const scan = scanJson(bytes);
  return scan.ok ? scan : { ok: false, message: `${scan.reason} at byte ${scan.offset}` };
}

export const cpuTasks = { checkJson, prepareData };

export type CpuTasks = typeof cpuTasks;
export type CpuTaskName = keyof CpuTasks;
