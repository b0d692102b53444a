import type { XtlDocument } from '../xtl/model.js';
import { clipWindow } from './clip-window.js';
import { decideOutputSettings, type OutputSettings } from './output-settings.js';
import type { ResolvedSources } from './sources.js';

/**
 * What can be known about a timeline once its sources are probed, without rendering: throws
 * RenderError('bad_timeline') as the render would (a clip past its source's end, nothing to
 * render, a codec the container cannot hold), else returns each group's output settings.
 * For the control plane to refuse a task at submission rather than fail it later.
 */
export function checkTimeline(doc: XtlDocument, sources: ResolvedSources): OutputSettings[] {
  return doc.groups.map((group) => {
    const settings = decideOutputSettings(group, sources);
    for (const track of group.tracks) {
      for (const clip of track.clips) {
        const source = sources.get(clip.src);
        if (!source) throw new Error(`source "${clip.src}" was not resolved`);
        clipWindow(clip, source.probe, settings);
      }
    }
    return settings;
  });
}
