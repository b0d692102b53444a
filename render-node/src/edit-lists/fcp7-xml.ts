import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Rational } from '../ffmpeg/media-info.js';
import { EditListError } from './edit-list-error.js';
import type { EditList, EditMarker, EditSource, EditTrack } from './edit-list.js';
import { placeSequence, type SequenceEntry } from './sequence.js';
import { timecodeToFrames } from './timecode.js';

/**
 * Final Cut Pro 7 XML (`<xmeml>`), as Premiere and Resolve still export it: a `<sequence>` with
 * `<media><video>` and `<media><audio>` tracks of `<clipitem>`s (`start`/`end` on the timeline,
 * `in`/`out` in the file, counted from its first frame), `<transitionitem>`s between them and
 * `<generatoritem>`s (slugs: black). A `start` or `end` of -1 sits at a transition: the cut is
 * the transition's middle, start or end as its `alignment` says. Speed comes from a `timeremap`
 * filter. fast-xml-parser reads it with entities and DOCTYPE processing off.
 */

interface Node {
  name: string;
  attributes: Record<string, string>;
  children: Node[];
  text: string;
}

const MAX_DEPTH = 64;

export function parseFcp7Xml(text: string): EditList {
  const root = readTree(text);
  if (root.name !== 'xmeml') throw new EditListError(`a Final Cut Pro XML file has an <xmeml> root, not <${root.name}>`);
  const sequence = root.children.find((c) => c.name === 'sequence') ?? find(root, 'sequence');
  if (!sequence) throw new EditListError('the XML holds no <sequence>');
  const rate = rateOf(child(sequence, 'rate'), 'the sequence');
  const timecode = child(sequence, 'timecode');
  const dropFrame = textOf(child(timecode, 'displayformat')).toUpperCase() === 'DF';
  const startFrame = timecode ? startOfTimecode(timecode, rate, dropFrame) : 0;
  const media = child(sequence, 'media');
  if (!media) throw new EditListError('the sequence has no <media>');

  const files = new Map<string, Node>();
  collectFiles(media, files);
  const notes: string[] = [];
  const tracks: EditTrack[] = [];
  for (const kind of ['video', 'audio'] as const) {
    const section = child(media, kind);
    let index = 0;
    for (const track of section?.children.filter((c) => c.name === 'track') ?? []) {
      index += 1;
      const name = `${kind === 'video' ? 'V' : 'A'}${index}`;
      if (textOf(child(track, 'enabled')).toUpperCase() === 'FALSE') {
        notes.push(`track ${name} is disabled; it is left out`);
        continue;
      }
      tracks.push({ kind, name, items: readTrack(track, name, rate, files, notes) });
    }
  }
  return {
    format: 'fcp7xml',
    title: textOf(child(sequence, 'name')),
    rate,
    dropFrame,
    startFrame,
    tracks,
    markers: markersOf(sequence),
    notes,
  };
}

function readTrack(track: Node, name: string, rate: Rational, files: Map<string, Node>, notes: string[]): EditTrack['items'] {
  const elements = track.children.filter((c) => ['clipitem', 'transitionitem', 'generatoritem'].includes(c.name));
  // Where each element starts and ends on the timeline, -1 resolved at the transitions' cuts.
  const spans = elements.map((element) => ({ start: int(child(element, 'start')), end: int(child(element, 'end')) }));
  const cuts = elements.map((element, i) => (element.name === 'transitionitem' ? cutOf(element, spans[i]!) : undefined));
  for (let i = 0; i < elements.length; i++) {
    if (spans[i]!.start === -1) spans[i]!.start = cuts[i - 1] ?? 0;
    if (spans[i]!.end === -1) spans[i]!.end = cuts[i + 1] ?? spans[i]!.start;
  }
  const entries: SequenceEntry[] = [];
  let position = 0;
  for (const [i, element] of elements.entries()) {
    const label = textOf(child(element, 'name')) || element.attributes.id || `${name} item ${i + 1}`;
    const span = spans[i]!;
    if (element.name === 'transitionitem') {
      const cut = cuts[i]!;
      const effect = textOf(child(child(element, 'effect'), 'name')) + textOf(child(child(element, 'effect'), 'effectid'));
      entries.push({
        kind: 'transition',
        event: label,
        inOffset: cut - span.start,
        outOffset: span.end - cut,
        type: /wipe/i.test(effect) ? 'wipe' : 'dissolve',
      });
      continue;
    }
    // Room between items is black.
    if (span.start > position)
      entries.push({ kind: 'item', event: `${name} gap at ${position}`, length: span.start - position, source: { kind: 'black' }, sourceEntry: 0, speed: 1 });
    if (span.start < position) throw new EditListError(`${label} (${name}) starts at frame ${span.start}, before the item before it ends (${position})`);
    const length = span.end - span.start;
    position = span.end;
    if (element.name === 'generatoritem' || textOf(child(element, 'enabled')).toUpperCase() === 'FALSE') {
      if (element.name !== 'generatoritem') notes.push(`${label} (${name}): disabled; it is left out as black`);
      else if (!/slug|black/i.test(textOf(child(child(element, 'effect'), 'effectid')) + label))
        notes.push(`${label} (${name}): generators are not supported; it is left out as black`);
      entries.push({ kind: 'item', event: label, length, source: { kind: 'black' }, sourceEntry: 0, speed: 1 });
      continue;
    }
    const file = fileOf(element, files);
    const fileName = textOf(child(file, 'name')) || fileNameOfUrl(textOf(child(file, 'pathurl')));
    const reel = textOf(child(child(child(file, 'timecode'), 'reel'), 'name'));
    const source: EditSource = {
      kind: 'media',
      base: 'media',
      ...(fileName ? { fileName } : {}),
      ...(label ? { clipName: label } : {}),
      ...(reel ? { reel } : {}),
    };
    const speed = speedOf(element);
    const inFrame = int(child(element, 'in'));
    const outFrame = int(child(element, 'out'));
    const clipRate = child(element, 'rate') ? rateOf(child(element, 'rate'), label) : rate;
    const scale = (frame: number) => Math.round((frame * rate.num * clipRate.den) / (rate.den * clipRate.num));
    // Reverse clips play from their out point down.
    const sourceEntry = speed < 0 ? scale(outFrame) - 1 : scale(inFrame);
    entries.push({ kind: 'item', event: label, length, source, sourceEntry, speed });
  }
  return placeSequence(entries, name, notes);
}

/** A transition's cut: its middle, or its start or end for transitions aligned there. */
function cutOf(transition: Node, span: { start: number; end: number }): number {
  const alignment = textOf(child(transition, 'alignment')).toLowerCase();
  if (alignment.startsWith('start')) return span.start;
  if (alignment.startsWith('end')) return span.end;
  return Math.floor((span.start + span.end) / 2);
}

function speedOf(clipitem: Node): number {
  for (const filter of clipitem.children.filter((c) => c.name === 'filter')) {
    const effect = child(filter, 'effect');
    if (textOf(child(effect, 'effectid')).toLowerCase() !== 'timeremap') continue;
    let speed = 1;
    let reverse = false;
    for (const parameter of effect!.children.filter((c) => c.name === 'parameter')) {
      const id = textOf(child(parameter, 'parameterid')).toLowerCase();
      const value = textOf(child(parameter, 'value'));
      if (id === 'speed') speed = Number(value) / 100;
      if (id === 'reverse') reverse = value.toUpperCase() === 'TRUE';
    }
    if (!Number.isFinite(speed)) throw new EditListError(`${textOf(child(clipitem, 'name'))}: its timeremap speed is not a number`);
    return reverse ? -speed : speed;
  }
  return 1;
}

function fileOf(clipitem: Node, files: Map<string, Node>): Node | undefined {
  const file = child(clipitem, 'file');
  if (!file) return undefined;
  // Later uses of a file name it by id only.
  return file.children.length > 0 ? file : files.get(file.attributes.id ?? '');
}

function collectFiles(node: Node, files: Map<string, Node>, depth = 0): void {
  if (depth > MAX_DEPTH) return;
  for (const c of node.children) {
    if (c.name === 'file' && c.attributes.id && c.children.length > 0 && !files.has(c.attributes.id)) files.set(c.attributes.id, c);
    collectFiles(c, files, depth + 1);
  }
}

function markersOf(sequence: Node): EditMarker[] {
  return sequence.children
    .filter((c) => c.name === 'marker')
    .map((m) => ({ frame: int(child(m, 'in')), color: '', text: textOf(child(m, 'name')) || textOf(child(m, 'comment')) }));
}

function rateOf(rate: Node | undefined, where: string): Rational {
  const timebase = Number(textOf(child(rate, 'timebase')));
  if (!Number.isInteger(timebase) || timebase < 1 || timebase > 240) throw new EditListError(`${where} has no <rate><timebase> of 1 to 240`);
  const ntsc = textOf(child(rate, 'ntsc')).toUpperCase() === 'TRUE';
  return ntsc ? { num: timebase * 1000, den: 1001 } : { num: timebase, den: 1 };
}

function startOfTimecode(timecode: Node, rate: Rational, dropFrame: boolean): number {
  const frame = child(timecode, 'frame');
  if (frame) return int(frame);
  const text = textOf(child(timecode, 'string'));
  return text ? timecodeToFrames(text, rate, dropFrame) : 0;
}

function int(node: Node | undefined): number {
  const value = Number(textOf(node));
  if (!node || !Number.isInteger(value)) throw new EditListError(`<${node?.name ?? 'start/end/in/out'}> must hold a whole number of frames`);
  return value;
}

function child(node: Node | undefined, name: string): Node | undefined {
  return node?.children.find((c) => c.name === name);
}

function find(node: Node, name: string, depth = 0): Node | undefined {
  if (depth > MAX_DEPTH) return undefined;
  for (const c of node.children) {
    if (c.name === name) return c;
    const deeper = find(c, name, depth + 1);
    if (deeper) return deeper;
  }
  return undefined;
}

function textOf(node: Node | undefined): string {
  return node?.text.trim() ?? '';
}

function fileNameOfUrl(url: string): string {
  if (!url) return '';
  try {
    return decodeURIComponent(new URL(url).pathname).split('/').pop() ?? '';
  } catch {
    return url.split(/[\\/]/).pop() ?? '';
  }
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (reference, name: string) => {
    if (!name.startsWith('#')) return ENTITIES[name]!;
    const code = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    if (!(code > 0 && code <= 0x10ffff)) throw new EditListError(`${reference} is not a character`);
    return String.fromCodePoint(code);
  });
}

/** The XML as a tree; a plain `<!DOCTYPE xmeml>` is allowed, declarations of entities are not. */
function readTree(xml: string): Node {
  const body = xml.replace(/^\uFEFF/, '').replace(/<!DOCTYPE\s+xmeml\s*>/i, '');
  if (/<!(DOCTYPE|ENTITY)/i.test(body)) throw new EditListError('DOCTYPE and ENTITY declarations are not allowed in an imported XML file');
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw new EditListError(`the XML is not well-formed: ${valid.err.msg} (line ${valid.err.line})`);
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    processEntities: false,
    htmlEntities: false,
    trimValues: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
  });
  const build = (node: OrderedNode, depth: number): Node => {
    if (depth > MAX_DEPTH * 4) throw new EditListError('the XML nests too deep');
    const name = Object.keys(node).find((k) => k !== ':@')!;
    const children: Node[] = [];
    let text = '';
    for (const c of (node[name] as OrderedNode[] | undefined) ?? []) {
      if ('#text' in c) text += decode(String(c['#text']));
      else children.push(build(c, depth + 1));
    }
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(node[':@'] ?? {})) attributes[key] = decode(String(value));
    return { name, attributes, children, text };
  };
  let parsed: OrderedNode[];
  try {
    parsed = parser.parse(body) as OrderedNode[];
  } catch (error) {
    // The validator and the parser disagree on a few broken forms (an unclosed <?xml ...?>).
    throw new EditListError(`the XML is not well-formed: ${(error as Error).message}`);
  }
  const roots = parsed.filter((n) => !('#text' in n));
  if (roots.length !== 1) throw new EditListError('the XML has no single root element');
  return build(roots[0]!, 0);
}
