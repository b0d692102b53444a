import { useEffect, useState } from 'preact/hooks';

/** Reads something now and again every `intervalMs`; `version` forces a read at once (after an action). */
export function usePoll<T>(read: () => Promise<T>, intervalMs: number, version: number): { value: T | undefined; error: string } {
  const [value, setValue] = useState<T | undefined>();
  const [error, setError] = useState('');
  useEffect(() => {
    let stopped = false;
    const tick = () =>
      read()
        .then((next) => {
          if (!stopped) {
            setValue(next);
            setError('');
          }
        })
        .catch((failure: Error) => !stopped && setError(failure.message));
    void tick();
    const timer = setInterval(() => void tick(), intervalMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [version]);
  return { value, error };
}
