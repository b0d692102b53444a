/** What every benchmark module exports as default. */
export type BenchSize = 'smoke' | 'full';

export interface BenchRow {
  benchmark: string;
  metric: string;
  value: number;
  unit: string;
  note?: string;
}

export type Benchmark = (options: { size: BenchSize; log: (line: string) => void }) => Promise<BenchRow[]>;
