import { useEffect, useRef, useState } from 'preact/hooks';
import { ok } from '../../api/client.js';
import type { MediaEntry } from '../../api/types.js';
import { formatHns } from '../../shared/time-format.js';
import type { EditorContext } from '../editor-context.js';
import { isWorking } from '../library/library-query.js';
import { useLiveStatus } from '../library/use-live-status.js';
import { newClipId } from '../timeline/timeline-model.js';
import { MicrophoneSession } from './microphone-session.js';
import type { EditorFeature } from './registry.js';

type RecorderState = 'idle' | 'connecting' | 'recording' | 'stopping';

const HNS_PER_MS = 10_000;

/**
 * Voiceover (`/api/voiceovers`): record the microphone with a running timer, stop and keep the
 * take (or discard it), follow its ingest in the list of recordings (the library's `voiceover`
 * filter), listen to it and put it under the timeline as sound.
 */
function VoiceoverPanel({ context }: { context: EditorContext }) {
  const [state, setState] = useState<RecorderState>('idle');
  const [name, setName] = useState('');
  const [elapsedMs, setElapsedMs] = useState(0);
  const [message, setMessage] = useState('');
  const [recordings, setRecordings] = useState<MediaEntry[]>([]);
  const session = useRef<MicrophoneSession | undefined>(undefined);
  const startedAt = useRef(0);
  const recordButton = useRef<HTMLButtonElement>(null);
  const keepButton = useRef<HTMLButtonElement>(null);

  // The page going away lets go of the microphone; the server keeps a take in progress.
  useEffect(() => () => session.current?.close(), []);

  useEffect(() => {
    if (state !== 'recording') return;
    const timer = setInterval(() => setElapsedMs(performance.now() - startedAt.current), 100);
    return () => clearInterval(timer);
  }, [state]);

  // Focus follows the one thing to do next (the buttons are enabled only once rendered), so a
  // take from the keyboard is Enter to record, Enter to keep.
  const previousState = useRef(state);
  useEffect(() => {
    if (state === 'recording') keepButton.current?.focus();
    if (state === 'idle' && previousState.current !== 'idle') recordButton.current?.focus();
    previousState.current = state;
  }, [state]);

  const latest = useRef(0);
  const load = async () => {
    const request = ++latest.current;
    const page = await ok(
      context.api.GET('/api/mediafiles', { params: { query: { filter: 'voiceover', sort_field: 'createTime', sort_order: 'desc', count: 5 } } }),
    ).catch(() => undefined);
    if (page && request === latest.current) setRecordings(page.entries);
  };
  useEffect(() => void load(), [context.libraryVersion]);
  useLiveStatus(context, recordings, (fresh) => setRecordings((all) => all.map((e) => (e.id === fresh.id ? fresh : e))));

  async function record(): Promise<void> {
    setMessage('');
    setElapsedMs(0);
    setState('connecting');
    try {
      session.current = await MicrophoneSession.open(context.api);
      startedAt.current = await session.current.start(name.trim() || undefined);
      setState('recording');
      context.announce('Recording');
    } catch (error) {
      session.current?.close();
      session.current = undefined;
      setState('idle');
      const failure = error as Error;
      setMessage(failure.name === 'NotAllowedError' ? 'The microphone was not allowed.' : `Recording could not start: ${failure.message}`);
    }
  }

  async function stop(keep: boolean): Promise<void> {
    const current = session.current;
    if (!current) return;
    setState('stopping');
    setElapsedMs(performance.now() - startedAt.current);
    try {
      if (keep) {
        await current.keep();
        setName('');
        context.announce('Recording kept; it is being prepared');
        context.refreshLibrary();
      } else {
        await current.discard();
        context.announce('Recording discarded');
      }
    } catch (error) {
      setMessage(`Stopping failed: ${(error as Error).message}`);
    } finally {
      session.current = undefined;
      setState('idle');
    }
  }

  const add = (entry: MediaEntry) =>
    context.edit(`voiceover ${entry.name}`, (t) => ({
      ...t,
      sound: [
        ...t.sound,
        {
          mediaId: entry.id,
          name: entry.name,
          mediaType: 'audio',
          durationHns: entry.duration,
          width: 0,
          height: 0,
          id: newClipId(),
          origin: 'voiceover',
          startHns: 0,
          inHns: 0,
          outHns: entry.duration,
          volume: 1,
        },
      ],
    }));

  const recording = state === 'recording';
  return (
    <div>
      <div class="row">
        <label for="voiceover-name">Recording name</label>
        <input
          id="voiceover-name"
          type="text"
          maxLength={255}
          value={name}
          disabled={state !== 'idle'}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
        />
      </div>
      <div class="row" data-testid="voiceover-recorder" data-state={state}>
        <button ref={recordButton} type="button" disabled={state !== 'idle'} onClick={() => void record()}>
          {state === 'connecting' ? 'Connecting…' : 'Record'}
        </button>
        <button ref={keepButton} type="button" disabled={!recording} onClick={() => void stop(true)}>
          Stop and keep
        </button>
        <button type="button" class="secondary" disabled={!recording} onClick={() => void stop(false)}>
          Discard
        </button>
        <span role="timer" aria-label="Recording time" data-testid="voiceover-timer" class={recording ? 'recording' : 'muted'}>
          {recording && <span aria-hidden="true">● </span>}
          {formatHns(elapsedMs * HNS_PER_MS)}
        </span>
      </div>
      {message && (
        <p class="error" role="alert">
          {message}
        </p>
      )}
      <h3>Recordings</h3>
      {recordings.length === 0 && <p class="muted">Takes you keep land in the library (filter “voiceover”).</p>}
      <ul aria-label="Voiceover recordings" style={{ listStyle: 'none', padding: 0 }}>
        {recordings.map((entry) => (
          <li key={entry.id} class="clip-row" data-testid="voiceover-entry" data-name={entry.name} data-status={entry.status} data-progress={entry.progress}>
            <strong>{entry.name}</strong>
            <span class="muted">{formatHns(entry.duration)}</span>
            {isWorking(entry) ? (
              <>
                <progress max={100} value={entry.progress} aria-label={`${entry.name}: ${entry.status}`} />{' '}
                <span class="muted">
                  {entry.status} {entry.progress}%
                </span>
              </>
            ) : entry.error ? (
              <span class="error">{(entry.error as { message?: string }).message ?? 'failed'}</span>
            ) : (
              <>
                {entry.previewUrl && <audio src={entry.previewUrl} controls preload="none" aria-label={`Listen to ${entry.name}`} />}
                <button type="button" class="secondary" onClick={() => add(entry)} aria-label={`Add to sound: ${entry.name}`}>
                  Add to sound
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

export const voiceoverFeature: EditorFeature = {
  id: 'voiceover',
  title: 'Voiceover',
  requires: ['/api/voiceovers', '/api/voiceovers/{id}'],
  Panel: VoiceoverPanel,
};
