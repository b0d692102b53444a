import type { Rational } from '../ffmpeg/media-info.js';
import { parseCmx3600 } from './cmx3600.js';
import { EditListError } from './edit-list-error.js';
import type { EditList, EditListFormat } from './edit-list.js';
import { parseFcp7Xml } from './fcp7-xml.js';
import { parseOtio } from './otio.js';

/** Which edit list a file is, by its extension: `.edl`, `.otio`, `.xml` (Final Cut Pro 7). */
export function editListFormatOf(fileName: string): EditListFormat | undefined {
  const extension = fileName.toLowerCase().split('.').pop();
  if (extension === 'edl') return 'cmx3600';
  if (extension === 'otio') return 'otio';
  if (extension === 'xml') return 'fcp7xml';
  return undefined;
}

/**
 * Reads an edit list. `rate` is the timeline rate the import was asked for: CMX lists need it
 * (they do not say theirs); OpenTimelineIO and FCP XML carry their own, which it overrides only
 * for OTIO (FCP XML frames count at the sequence's rate).
 */
export function readEditList(fileName: string, text: string, rate: Rational | undefined): EditList {
  return withFiniteFrames(readByFormat(fileName, text, rate));
}

/** Every reader checks its own fields; this is the last word, so that no time that overflowed (a speed of 1e308) reaches a timeline. */
function withFiniteFrames(list: EditList): EditList {
  for (const track of list.tracks) {
    for (const item of track.items) {
      if (![item.start, item.end, item.sourceIn, item.sourceOut].every(Number.isFinite)) {
        throw new EditListError(`${item.event}: its times are out of range`);
      }
    }
  }
  return list;
}

function readByFormat(fileName: string, text: string, rate: Rational | undefined): EditList {
  const format = editListFormatOf(fileName);
  switch (format) {
    case 'cmx3600':
      if (!rate) throw new EditListError(`${fileName} is a CMX 3600 EDL, which does not say its frame rate: create the import with fps`);
      return parseCmx3600(text, { rate });
    case 'otio':
      return parseOtio(text, rate ? { rate } : {});
    case 'fcp7xml':
      return parseFcp7Xml(text);
    default:
      throw new EditListError(`${fileName} is not an edit list (.edl, .otio or Final Cut Pro 7 .xml)`);
  }
}
