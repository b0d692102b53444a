import { useState } from 'preact/hooks';
import { formatHns } from '../../shared/time-format.js';
import type { EditorContext } from '../editor-context.js';
import type { EditHistory } from '../history/edit-history.js';
import { CommittedInput, NumberInput, SecondsInput } from './committed-inputs.js';
import {
  newClipId,
  timelineDurationHns,
  timelineProblems,
  TRANSITION_TYPES,
  type MainClip,
  type Overlay,
  type SoundClip,
  type Timeline,
  type TransitionType,
} from './timeline-model.js';
import { buildXtl } from './xtl-builder.js';

const SECOND = 10_000_000;

function replaceIn<T extends { id: string }>(items: T[], id: string, change: (item: T) => T): T[] {
  return items.map((item) => (item.id === id ? change(item) : item));
}

/** Builds the timeline: clips with in and out points, transitions, overlays, text, sound; undo and redo; the XTL it makes. */
export function TimelinePanel({
  context,
  history,
  historyVersion,
  onHistoryMove,
}: {
  context: EditorContext;
  history: EditHistory;
  historyVersion: number;
  onHistoryMove: (timeline: Timeline) => void;
}) {
  const { timeline, edit } = context;
  void historyVersion;
  const [busy, setBusy] = useState(false);
  const problems = timelineProblems(timeline);
  const move = async (step: () => Promise<Timeline | undefined>, what: string) => {
    setBusy(true);
    try {
      const next = await step();
      if (next) {
        onHistoryMove(next);
        context.announce(what);
      }
    } catch (error) {
      context.announce(`${what} failed: ${(error as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  const setMain = (id: string, name: string, change: (clip: MainClip) => MainClip) => edit(name, (t) => ({ ...t, main: replaceIn(t.main, id, change) }));
  const setOverlay = (id: string, name: string, change: (overlay: Overlay) => Overlay) =>
    edit(name, (t) => ({ ...t, overlays: replaceIn(t.overlays, id, change) }));
  const setSound = (id: string, name: string, change: (clip: SoundClip) => SoundClip) => edit(name, (t) => ({ ...t, sound: replaceIn(t.sound, id, change) }));

  return (
    <div>
      <div class="row">
        <button type="button" class="secondary" disabled={busy || !history.canUndo} onClick={() => void move(() => history.undo(), 'Undone')}>
          Undo
        </button>
        <button type="button" class="secondary" disabled={busy || !history.canRedo} onClick={() => void move(() => history.redo(), 'Redone')}>
          Redo
        </button>
        <span class="muted" data-testid="timeline-length">
          Length {formatHns(timelineDurationHns(timeline))}
        </span>
        <label for="output-name">Output name</label>
        <CommittedInput
          id="output-name"
          type="text"
          value={timeline.output.name}
          onCommit={(name) => edit('rename output', (t) => ({ ...t, output: { ...t.output, name } }))}
        />
        <label for="output-container">Format</label>
        <select
          id="output-container"
          value={timeline.output.container}
          onChange={(e) => {
            const container = (e.target as HTMLSelectElement).value as 'mp4' | 'webm';
            edit('output format', (t) => ({ ...t, output: { ...t.output, container, name: t.output.name.replace(/\.(mp4|webm)$/i, '') + `.${container}` } }));
          }}
        >
          <option value="mp4">MP4 (H.264, AAC)</option>
          <option value="webm">WebM (VP9, Opus)</option>
        </select>
      </div>
      <div class="tracks">
        <section class="track" aria-labelledby="main-track">
          <h3 id="main-track">Main track</h3>
          {timeline.main.length === 0 && <p class="muted">Select media and press “Add to main track”.</p>}
          {timeline.main.map((clip, i) => (
            <div class="clip-row" key={clip.id} data-testid="main-clip">
              <strong>
                {i + 1}. {clip.name}
              </strong>
              <SecondsInput
                id={`in-${clip.id}`}
                label="In (s)"
                valueHns={clip.inHns}
                onCommit={(inHns) => setMain(clip.id, 'in point', (c) => ({ ...c, inHns }))}
              />
              <SecondsInput
                id={`out-${clip.id}`}
                label="Out (s)"
                valueHns={clip.outHns}
                onCommit={(outHns) => setMain(clip.id, 'out point', (c) => ({ ...c, outHns }))}
              />
              {i > 0 && (
                <label for={`transition-${clip.id}`}>
                  Transition in{' '}
                  <select
                    id={`transition-${clip.id}`}
                    value={clip.transition?.type ?? ''}
                    onChange={(e) => {
                      const type = (e.target as HTMLSelectElement).value as TransitionType | '';
                      setMain(clip.id, 'transition', (c) => ({
                        ...c,
                        transition: type ? { type, durationHns: c.transition?.durationHns ?? SECOND / 2 } : null,
                      }));
                    }}
                  >
                    <option value="">cut</option>
                    {TRANSITION_TYPES.map((type) => (
                      <option key={type} value={type}>
                        {type}
                      </option>
                    ))}
                  </select>
                </label>
              )}
              {clip.transition && (
                <SecondsInput
                  id={`transition-length-${clip.id}`}
                  label="Transition (s)"
                  valueHns={clip.transition.durationHns}
                  onCommit={(durationHns) =>
                    setMain(clip.id, 'transition length', (c) => ({ ...c, transition: c.transition ? { ...c.transition, durationHns } : null }))
                  }
                />
              )}
              <button
                type="button"
                class="secondary"
                disabled={i === 0}
                aria-label={`Move ${clip.name} earlier`}
                onClick={() => edit('move clip', (t) => ({ ...t, main: swap(t.main, i, i - 1) }))}
              >
                ↑
              </button>
              <button
                type="button"
                class="secondary"
                disabled={i === timeline.main.length - 1}
                aria-label={`Move ${clip.name} later`}
                onClick={() => edit('move clip', (t) => ({ ...t, main: swap(t.main, i, i + 1) }))}
              >
                ↓
              </button>
              <button
                type="button"
                class="secondary"
                aria-label={`Remove ${clip.name}`}
                onClick={() =>
                  edit('remove clip', (t) => ({ ...t, main: t.main.filter((c) => c.id !== clip.id).map((c, j) => (j === 0 ? { ...c, transition: null } : c)) }))
                }
              >
                Remove
              </button>
            </div>
          ))}
        </section>
        <section class="track" aria-labelledby="overlay-track">
          <h3 id="overlay-track">Overlays</h3>
          {timeline.overlays.map((overlay) => (
            <div class="clip-row" key={overlay.id} data-testid="overlay-clip">
              <strong>{overlay.kind === 'text' ? `Text “${overlay.style.text}”` : overlay.name}</strong>
              <SecondsInput
                id={`start-${overlay.id}`}
                label="Starts at (s)"
                valueHns={overlay.startHns}
                onCommit={(startHns) => setOverlay(overlay.id, 'overlay start', (o) => ({ ...o, startHns }))}
              />
              {overlay.kind === 'media' ? (
                <>
                  <SecondsInput
                    id={`in-${overlay.id}`}
                    label="In (s)"
                    valueHns={overlay.inHns}
                    onCommit={(inHns) => setOverlay(overlay.id, 'overlay in', (o) => ({ ...o, inHns }))}
                  />
                  <SecondsInput
                    id={`out-${overlay.id}`}
                    label="Out (s)"
                    valueHns={overlay.outHns}
                    onCommit={(outHns) => setOverlay(overlay.id, 'overlay out', (o) => ({ ...o, outHns }))}
                  />
                  <NumberInput
                    id={`x-${overlay.id}`}
                    label="X %"
                    value={overlay.box.xPct}
                    min={-100}
                    max={100}
                    onCommit={(xPct) => setOverlay(overlay.id, 'overlay x', (o) => (o.kind === 'media' ? { ...o, box: { ...o.box, xPct } } : o))}
                  />
                  <NumberInput
                    id={`y-${overlay.id}`}
                    label="Y %"
                    value={overlay.box.yPct}
                    min={-100}
                    max={100}
                    onCommit={(yPct) => setOverlay(overlay.id, 'overlay y', (o) => (o.kind === 'media' ? { ...o, box: { ...o.box, yPct } } : o))}
                  />
                  <NumberInput
                    id={`w-${overlay.id}`}
                    label="Width %"
                    value={overlay.box.widthPct}
                    min={1}
                    max={100}
                    onCommit={(widthPct) => setOverlay(overlay.id, 'overlay width', (o) => (o.kind === 'media' ? { ...o, box: { ...o.box, widthPct } } : o))}
                  />
                </>
              ) : (
                <SecondsInput
                  id={`length-${overlay.id}`}
                  label="Lasts (s)"
                  valueHns={overlay.durationHns}
                  onCommit={(durationHns) => setOverlay(overlay.id, 'text length', (o) => (o.kind === 'text' ? { ...o, durationHns } : o))}
                />
              )}
              <button
                type="button"
                class="secondary"
                aria-label={`Remove overlay ${overlay.kind === 'text' ? overlay.style.text : overlay.name}`}
                onClick={() => edit('remove overlay', (t) => ({ ...t, overlays: t.overlays.filter((o) => o.id !== overlay.id) }))}
              >
                Remove
              </button>
            </div>
          ))}
          <TextOverlayForm onAdd={(overlay) => edit('add text', (t) => ({ ...t, overlays: [...t.overlays, overlay] }))} />
        </section>
        <section class="track" aria-labelledby="sound-track">
          <h3 id="sound-track">Sound</h3>
          {timeline.sound.length === 0 && <p class="muted">Sound files added from the library play under the picture.</p>}
          {timeline.sound.map((clip) => (
            <div class="clip-row" key={clip.id} data-testid="sound-clip">
              <strong>{clip.name}</strong>
              <SecondsInput
                id={`start-${clip.id}`}
                label="Starts at (s)"
                valueHns={clip.startHns}
                onCommit={(startHns) => setSound(clip.id, 'sound start', (c) => ({ ...c, startHns }))}
              />
              <SecondsInput
                id={`in-${clip.id}`}
                label="In (s)"
                valueHns={clip.inHns}
                onCommit={(inHns) => setSound(clip.id, 'sound in', (c) => ({ ...c, inHns }))}
              />
              <SecondsInput
                id={`out-${clip.id}`}
                label="Out (s)"
                valueHns={clip.outHns}
                onCommit={(outHns) => setSound(clip.id, 'sound out', (c) => ({ ...c, outHns }))}
              />
              <NumberInput
                id={`volume-${clip.id}`}
                label="Volume %"
                value={Math.round(clip.volume * 100)}
                min={0}
                max={400}
                onCommit={(v) => setSound(clip.id, 'volume', (c) => ({ ...c, volume: v / 100 }))}
              />
              <button
                type="button"
                class="secondary"
                aria-label={`Remove sound ${clip.name}`}
                onClick={() => edit('remove sound', (t) => ({ ...t, sound: t.sound.filter((c) => c.id !== clip.id) }))}
              >
                Remove
              </button>
            </div>
          ))}
        </section>
      </div>
      {problems.length > 0 && timeline.main.length + timeline.overlays.length > 0 && (
        <ul class="error" aria-label="Problems">
          {problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
      <details>
        <summary>XTL of this timeline</summary>
        <pre data-testid="xtl">{buildXtl(timeline)}</pre>
      </details>
    </div>
  );
}

function swap<T>(items: T[], a: number, b: number): T[] {
  const copy = [...items];
  [copy[a], copy[b]] = [copy[b]!, copy[a]!];
  return copy.map((item, i) => (i === 0 && 'transition' in (item as object) ? { ...item, transition: null } : item));
}

function TextOverlayForm({ onAdd }: { onAdd: (overlay: Overlay) => void }) {
  const [text, setText] = useState('');
  const [startS, setStartS] = useState(0);
  const [lengthS, setLengthS] = useState(2);
  const [color, setColor] = useState('#000000');
  const [background, setBackground] = useState('#ffffff');
  return (
    <form
      class="row"
      aria-label="Add text"
      onSubmit={(e) => {
        e.preventDefault();
        onAdd({
          id: newClipId(),
          kind: 'text',
          startHns: Math.round(startS * SECOND),
          durationHns: Math.round(lengthS * SECOND),
          overlayId: null,
          style: { text, color, background, sizePct: 8, xPct: 5, yPct: 75 },
        });
        setText('');
      }}
    >
      <label for="text-overlay">Text</label>
      <input id="text-overlay" type="text" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
      <label for="text-start">Starts at (s)</label>
      <input id="text-start" type="number" min={0} step={0.01} value={startS} onInput={(e) => setStartS(Number((e.target as HTMLInputElement).value))} />
      <label for="text-length">Lasts (s)</label>
      <input id="text-length" type="number" min={0.1} step={0.01} value={lengthS} onInput={(e) => setLengthS(Number((e.target as HTMLInputElement).value))} />
      <label for="text-color">Colour</label>
      <input id="text-color" type="color" value={color} onInput={(e) => setColor((e.target as HTMLInputElement).value)} />
      <label for="text-background">Box</label>
      <input id="text-background" type="color" value={background} onInput={(e) => setBackground((e.target as HTMLInputElement).value)} />
      <button type="submit" disabled={text.trim() === ''}>
        Add text
      </button>
    </form>
  );
}
