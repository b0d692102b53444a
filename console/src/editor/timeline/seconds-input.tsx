import { useState } from 'preact/hooks';
import { hnsToSeconds, secondsToHns } from '../../shared/time-format.js';

/**
 * A number field that keeps what is typed until it is committed (the change event: blur or
 * Enter), so that each commit is one undoable edit. The editor re-renders whenever anything
 * else changes (an autosave's answer, a task's progress): a plain controlled field would put
 * its value back over the digits being typed, and the next Enter would commit the old value.
 */
function CommittedNumberField({
  id,
  value,
  onCommit,
  min,
  max,
  step,
}: {
  id: string;
  value: number;
  onCommit: (value: number) => void;
  min?: number;
  max?: number;
  step: number;
}) {
  const [typed, setTyped] = useState<string | undefined>(undefined);
  return (
    <input
      id={id}
      type="number"
      min={min}
      max={max}
      step={step}
      value={typed ?? String(value)}
      onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
      onChange={(e) => {
        const text = (e.target as HTMLInputElement).value;
        setTyped(undefined);
        const number = Number(text);
        if (text.trim() !== '' && Number.isFinite(number)) onCommit(number);
      }}
    />
  );
}

/** A time field in seconds for a value kept in 100 ns units. */
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
      <CommittedNumberField
        id={id}
        min={min}
        step={0.01}
        value={Math.round(hnsToSeconds(valueHns) * 100) / 100}
        onCommit={(seconds) => onCommit(secondsToHns(seconds))}
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
      {label} <CommittedNumberField id={id} min={min} max={max} step={1} value={value} onCommit={onCommit} />
    </label>
  );
}
