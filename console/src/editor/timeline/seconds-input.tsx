import { hnsToSeconds, secondsToHns } from '../../shared/time-format.js';

/** A time field in seconds for a value kept in 100 ns units; it commits on change (blur or Enter), so each is one undoable edit. */
export function SecondsInput({
  id,
  label,
  valueHns,
  onCommit,
  min = 0,
}: {
  id: string;
  label: string;
  valueHns: number;
  onCommit: (hns: number) => void;
  min?: number;
}) {
  return (
    <label for={id}>
      {label}{' '}
      <input
        id={id}
        type="number"
        min={min}
        step={0.01}
        value={Math.round(hnsToSeconds(valueHns) * 100) / 100}
        onChange={(e) => {
          const seconds = Number((e.target as HTMLInputElement).value);
          if (Number.isFinite(seconds)) onCommit(secondsToHns(seconds));
        }}
      />
    </label>
  );
}

/** A whole-number field (percentages). */
export function NumberInput({
  id,
  label,
  value,
  onCommit,
  min,
  max,
}: {
  id: string;
  label: string;
  value: number;
  onCommit: (value: number) => void;
  min?: number;
  max?: number;
}) {
  return (
    <label for={id}>
      {label}{' '}
      <input id={id} type="number" min={min} max={max} step={1} value={value} onChange={(e) => onCommit(Number((e.target as HTMLInputElement).value))} />
    </label>
  );
}
