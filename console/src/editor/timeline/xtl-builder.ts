import type { Overlay, Timeline } from './timeline-model.js';

/**
 * Writes a timeline as XTL (docs/xtl.md): one group; the main track in the editor API's form (in and
 * out points, clips one after another, `<transition>` between them); overlays on upper tracks
 * in the DES form (`start`/`stop` on the timeline, `mstart` in the source), as few tracks as
 * keep them from overlapping; sound on `video="0"` tracks. Times are written in 100ns_units.
 */

export interface XtlOptions {
  /** The overlay image id of each text overlay (by clip id); a placeholder is written without one. */
  overlayIds?: Record<string, string>;
}

const escape = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

function attributes(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}="${escape(String(value))}"`)
    .join(' ');
}

const pct = (value: number) => `${Math.round(value * 100) / 100}%`;

function overlayEndHns(overlay: Overlay): number {
  return overlay.startHns + (overlay.kind === 'text' ? overlay.durationHns : overlay.outHns - overlay.inHns);
}

/** Greedy packing: each overlay goes on the first track where it starts after the last one ends. */
function packOverlays(overlays: Overlay[]): Overlay[][] {
  const tracks: Overlay[][] = [];
  for (const overlay of [...overlays].sort((a, b) => a.startHns - b.startHns)) {
    const track = tracks.find((t) => overlayEndHns(t[t.length - 1]!) <= overlay.startHns);
    if (track) track.push(overlay);
    else tracks.push([overlay]);
  }
  return tracks;
}

export function buildXtl(timeline: Timeline, options: XtlOptions = {}): string {
  const lines = ['<timelines version="2">', '<timeline>'];
  const { output } = timeline;
  const size = output.width > 0 && output.height > 0 ? { width: output.width, height: output.height } : {};
  lines.push(`<group ${attributes({ output: output.name, container: output.container, ...size })}>`);

  if (timeline.main.length > 0) {
    lines.push('  <track video="1" audio="1" accuracy="frame">');
    for (const [i, clip] of timeline.main.entries()) {
      if (i > 0 && clip.transition) {
        lines.push(`    <transition ${attributes({ type: clip.transition.type, duration: clip.transition.durationHns, timeFormat: '100ns_units' })}/>`);
      }
      lines.push(`    <clip ${attributes({ src: clip.mediaId, start: clip.inHns, stop: clip.outHns, timeFormat: '100ns_units' })}/>`);
    }
    lines.push('  </track>');
  }

  for (const track of packOverlays(timeline.overlays)) {
    lines.push('  <track audio="0">');
    for (const overlay of track) {
      if (overlay.kind === 'media') {
        const where = attributes({
          src: overlay.mediaId,
          start: overlay.startHns,
          stop: overlayEndHns(overlay),
          mstart: overlay.inHns,
          timeFormat: '100ns_units',
        });
        lines.push(`    <clip ${where}>`);
        lines.push(
          `      <param name="x" value="${pct(overlay.box.xPct)}"/><param name="y" value="${pct(overlay.box.yPct)}"/><param name="width" value="${pct(overlay.box.widthPct)}"/>`,
        );
        lines.push('    </clip>');
      } else {
        const src = options.overlayIds?.[overlay.id] ?? overlay.overlayId ?? `text-overlay-${overlay.id}`;
        lines.push(`    <clip ${attributes({ src, start: overlay.startHns, stop: overlayEndHns(overlay), mstart: 0, timeFormat: '100ns_units' })}/>`);
      }
    }
    lines.push('  </track>');
  }

  for (const sound of timeline.sound) {
    lines.push('  <track video="0">');
    const where = attributes({
      src: sound.mediaId,
      start: sound.startHns,
      stop: sound.startHns + sound.outHns - sound.inHns,
      mstart: sound.inHns,
      timeFormat: '100ns_units',
    });
    lines.push(`    <clip ${where}>`);
    lines.push(`      <param name="volume" value="${sound.volume}"/>`);
    lines.push('    </clip>');
    lines.push('  </track>');
  }

  lines.push('</group>', '</timeline>', '</timelines>');
  return lines.join('\n');
}
