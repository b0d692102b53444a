import type { InputHTMLAttributes } from 'preact';
import { useState } from 'preact/hooks';
import { hnsToSeconds, secondsToHns } from '../../shared/time-format.js';

/**
 * A field that keeps what is typed until it is committed (the change event: blur or Enter), so
 * that each commit is one undoable edit. The editor re-renders whenever anything else changes
 * (the history's answer to the previous edit, a task's progress): a plain controlled field would
 * put its value back over what is being typed, and the next Enter would commit the old value.
 */
export function CommittedInput({
  value,
  onCommit,
  ...field
}: {
  id: string;
  type: 'text' | 'number';
  value: string;
  /** The text as committed. */
  onCommit: (text: string) => void;
  min?: number;
  max?: number;
  step?: number;
}) {
  const [typed, setTyped] = useState<string | undefined>(undefined);
  return (
    <input
      // Preact's types pair each input type with its own attributes; these suit both.
      {...(field as InputHTMLAttributes<HTMLInputElement>)}
      value={typed ?? value}
      onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
      onChange={(e) => {
        setTyped(undefined);
        onCommit((e.target as HTMLInputElement).value);
      }}
    />
  );
}

/** A number field: commits finite numbers only (not an empty field). */
function CommittedNumberField({
  value,
  onCommit,
  ...field
}: {
  id: string;
  value: number;
  onCommit: (value: number) => void;
  min?: number;
  max?: number;
  step: number;
}) {
  return (
    <CommittedInput
      {...field}
      type="number"
      value={String(value)}
      onCommit={(text) => {
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
