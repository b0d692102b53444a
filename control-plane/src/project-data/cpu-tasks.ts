import { analyzeBody } from './body-analysis.js';

/**
 * The work on request bodies that costs a pass over every byte (megabytes per autosave). It
 * runs on the CPU pool's threads for large bodies, so the event loop keeps answering others.
 */
export const cpuTasks = { analyzeBody };

export type CpuTasks = typeof cpuTasks;
export type CpuTaskName = keyof CpuTasks;
