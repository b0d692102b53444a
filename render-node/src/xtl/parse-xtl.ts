import type { Rational } from '../ffmpeg/media-info.js';
import {
  ACCURACIES,
  AUDIO_CODECS,
  CONTAINERS,
  EFFECT_TYPES,
  FITS,
  QUALITIES,
  TRANSITION_TYPES,
  VIDEO_CODECS,
  type ClipParams,
  type Length,
  type XtlClip,
  type XtlDocument,
  type XtlEffect,
  type XtlGroup,
  type XtlTrack,
  type XtlTransition,
} from './model.js';
import { formatHns, parseFrameRate, parseXtlTime, TIME_FORMATS, type TimeFormat } from './time-format.js';
import { parseXmlTree, type XmlElement } from './xml-tree.js';
import { XtlError } from './xtl-error.js';

/**
 * Parses and validates an XTL document (SolveigMM's batch format, with this project's
 * extensions in the DirectShow Editing Services spirit; see docs/xtl.md). Throws XtlError naming
 * the element, attribute and line of the first problem.
 */
export function parseXtl(xml: string): XtlDocument {
  if (typeof xml !== 'string' || xml.trim() === '') throw new XtlError('the document is empty', undefined, undefined, undefined);
  const root = parseXmlTree(xml);
  const timelines: ElementReader = new ElementReader(root, 'timelines', ['version', 'projectId']);
  const version = timelines.required('version');
  if (version !== '2') timelines.fail(`version "${version}" is not supported: use version="2"`, 'version');
  const projectId = timelines.optional('projectId')?.trim() || undefined;

  const groups: XtlGroup[] = [];
  const timelineElements = timelines.children(['timeline']);
  if (timelineElements.length === 0) timelines.fail('it needs at least one <timeline>');
  for (const timelineElement of timelineElements) {
    const timeline: ElementReader = new ElementReader(timelineElement, 'timeline', []);
    const groupElements = timeline.children(['group']);
    if (groupElements.length === 0) timeline.fail('it needs at least one <group> (one per output)');
    for (const groupElement of groupElements) groups.push(readGroup(groupElement, groups.length));
  }
  return { version: 2, groups, ...(projectId !== undefined ? { projectId } : {}) };
}

// ---------------------------------------------------------------------------------------------

const NO_PARAMS: ClipParams = {
  fit: 'contain',
  opacity: 1,
  volume: 1,
  videoFadeInHns: 0,
  videoFadeOutHns: 0,
  audioFadeInHns: 0,
  audioFadeOutHns: 0,
};

const CLIP_PARAM_NAMES = [
  'x',
  'y',
  'width',
  'height',
  'fit',
  'opacity',
  'volume',
  'fadein',
  'fadeout',
  'videofadein',
  'videofadeout',
  'audiofadein',
  'audiofadeout',
] as const;

/** Reads one element, refusing attributes and children it does not know (names are case-sensitive). */
class ElementReader {
  constructor(
    readonly element: XmlElement,
    expectedName: string,
    private readonly allowed: readonly string[],
  ) {
    if (element.name !== expectedName) {
      this.fail(
        element.name.toLowerCase() === expectedName
          ? `element names are lower-case: write <${expectedName}>`
          : `expected <${expectedName}> here, found <${element.name}>`,
      );
    }
    for (const name of element.attributes.keys()) {
      if (allowed.includes(name)) continue;
      const differentCase = allowed.find((a) => a.toLowerCase() === name.toLowerCase());
      this.fail(
        differentCase ? `attribute names are case-sensitive: write ${differentCase}` : `unknown attribute (allowed: ${allowed.join(', ') || 'none'})`,
        name,
      );
    }
    if (element.text !== '') this.fail('text is not allowed inside this element');
  }

  get name(): string {
    return this.element.name;
  }

  fail(reason: string, attribute?: string): never {
    throw new XtlError(reason, this.element.name, attribute, attribute ? this.element.attributeLine(attribute) : this.element.line);
  }

  optional(attribute: string): string | undefined {
    return this.element.attributes.get(attribute);
  }

  required(attribute: string): string {
    const value = this.optional(attribute);
    if (value === undefined) this.fail('this attribute is required', attribute);
    return value;
  }

  oneOf<T extends string>(attribute: string, choices: readonly T[], fallback: T): T;
  oneOf<T extends string>(attribute: string, choices: readonly T[]): T | undefined;
  oneOf<T extends string>(attribute: string, choices: readonly T[], fallback?: T): T | undefined {
    const value = this.optional(attribute);
    if (value === undefined) return fallback;
    if (!(choices as readonly string[]).includes(value)) this.fail(`"${value}" is not one of ${choices.join(', ')}`, attribute);
    return value as T;
  }

  flag(attribute: string, fallback: boolean): boolean {
    const value = this.optional(attribute);
    if (value === undefined) return fallback;
    if (value === '1' || value === 'true') return true;
    if (value === '0' || value === 'false') return false;
    this.fail(`"${value}" is not 0 or 1`, attribute);
  }

  integer(attribute: string, min: number, max: number): number | undefined {
    const value = this.optional(attribute);
    if (value === undefined) return undefined;
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) this.fail(`"${value}" is not an integer from ${min} to ${max}`, attribute);
    return n;
  }

  time(attribute: string, format: TimeFormat): number {
    const value = this.required(attribute);
    const hns = parseXtlTime(value, format);
    if (hns === undefined) {
      this.fail(
        format === 'time10ms'
          ? `"${value}" is not a time10ms time (hh:mm:ss:cc, cc in hundredths of a second)`
          : `"${value}" is not a 100ns_units time (a whole number of 100 ns units)`,
        attribute,
      );
    }
    return hns;
  }

  timeFormat(fallback?: TimeFormat): TimeFormat {
    const value = this.optional('timeFormat');
    if (value === undefined) {
      if (fallback) return fallback;
      this.fail(`this attribute is required (${TIME_FORMATS.join(' or ')})`, 'timeFormat');
    }
    if (!(TIME_FORMATS as readonly string[]).includes(value)) this.fail(`"${value}" is not one of ${TIME_FORMATS.join(', ')}`, 'timeFormat');
    return value as TimeFormat;
  }

  /** Child elements, refusing any not named in `allowed`. */
  children(allowed: readonly string[]): XmlElement[] {
    for (const child of this.element.children) {
      if (allowed.includes(child.name)) continue;
      const differentCase = allowed.find((a) => a === child.name.toLowerCase());
      throw new XtlError(
        differentCase
          ? `element names are lower-case: write <${differentCase}>`
          : `<${child.name}> is not allowed inside <${this.element.name}> (allowed: ${allowed.map((a) => `<${a}>`).join(', ') || 'none'})`,
        child.name,
        undefined,
        child.line,
      );
    }
    return this.element.children;
  }
}

function readGroup(element: XmlElement, index: number): XtlGroup {
  const group: ElementReader = new ElementReader(element, 'group', [
    'output',
    'width',
    'height',
    'framerate',
    'samplerate',
    'container',
    'quality',
    'vcodec',
    'acodec',
    'background',
  ]);
  const width = group.integer('width', 16, 7680);
  const height = group.integer('height', 16, 4320);
  for (const [attribute, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (value !== undefined && value % 2 !== 0) group.fail(`${value} is odd: sizes must be even for 4:2:0 video`, attribute);
  }
  let frameRate: Rational | undefined;
  const rateText = group.optional('framerate');
  if (rateText !== undefined) {
    frameRate = parseFrameRate(rateText);
    if (!frameRate || frameRate.num / frameRate.den < 1 || frameRate.num / frameRate.den > 240) {
      group.fail(`"${rateText}" is not a frame rate from 1 to 240 (25, 29.97, 30000/1001...)`, 'framerate');
    }
  }
  const background = group.optional('background') ?? 'black';
  if (!/^(#[0-9a-fA-F]{6}|[a-zA-Z]{3,20})$/.test(background)) group.fail(`"${background}" is not a colour name or #rrggbb`, 'background');

  const tracks: XtlTrack[] = [];
  for (const trackElement of group.children(['track'])) tracks.push(readTrack(trackElement));
  if (tracks.length === 0) group.fail('it needs at least one <track>');

  return {
    line: element.line,
    index,
    output: group.optional('output'),
    width,
    height,
    frameRate,
    sampleRate: group.integer('samplerate', 8000, 192000),
    container: group.oneOf('container', CONTAINERS),
    quality: group.oneOf('quality', QUALITIES, 'medium'),
    videoCodec: group.oneOf('vcodec', VIDEO_CODECS),
    audioCodec: group.oneOf('acodec', AUDIO_CODECS),
    background,
    tracks,
  };
}

function readTrack(element: XmlElement): XtlTrack {
  const track: ElementReader = new ElementReader(element, 'track', ['video', 'audio', 'text', 'accuracy']);
  const video = track.flag('video', true);
  const audio = track.flag('audio', true);
  if (!video && !audio) track.fail('a track with video="0" and audio="0" would contribute nothing', 'video');

  const children = track.children(['clip', 'transition', 'param']);
  let trackParams: Partial<ClipParams> = {};
  for (const child of children) if (child.name === 'param') trackParams = { ...trackParams, ...readClipParam(child, undefined) };

  const clips: XtlClip[] = [];
  let pendingTransition: XtlTransition | undefined;
  let previous: XtlClip | undefined;
  let previousIncomingHns = 0;
  for (const child of children) {
    if (child.name === 'param') continue;
    if (child.name === 'transition') {
      const transitionReader: ElementReader = new ElementReader(child, 'transition', ['type', 'duration', 'timeFormat']);
      if (!previous) transitionReader.fail('a transition must come after a clip (it joins the clips on either side)');
      if (pendingTransition) transitionReader.fail('two transitions in a row: put a clip between them');
      const format = transitionReader.timeFormat(previousTimeFormat(previous));
      const durationHns = transitionReader.time('duration', format);
      if (durationHns <= 0) transitionReader.fail('the duration must be more than zero', 'duration');
      pendingTransition = { line: child.line, type: transitionReader.oneOf('type', TRANSITION_TYPES, 'crossfade'), durationHns };
      previous.transitionToNext = pendingTransition;
      continue;
    }
    const clip = readClip(child, trackParams, previous, pendingTransition);
    if (pendingTransition && previous) {
      const available = previous.timelineStopHns - previous.timelineStartHns - previousIncomingHns;
      if (pendingTransition.durationHns > available) {
        throw new XtlError(
          `the transition lasts ${formatHns(pendingTransition.durationHns)}, longer than what the clip before it has left (${formatHns(available)})`,
          'transition',
          'duration',
          pendingTransition.line,
        );
      }
      if (pendingTransition.durationHns > clip.timelineStopHns - clip.timelineStartHns) {
        throw new XtlError(
          `the transition lasts ${formatHns(pendingTransition.durationHns)}, longer than the clip after it`,
          'transition',
          'duration',
          pendingTransition.line,
        );
      }
    }
    previousIncomingHns = pendingTransition?.durationHns ?? 0;
    pendingTransition = undefined;
    clips.push(clip);
    previous = clip;
  }
  if (pendingTransition) throw new XtlError('a transition must be followed by a clip', 'transition', undefined, pendingTransition.line);
  if (clips.length === 0) track.fail('it needs at least one <clip>');

  return { line: element.line, video, audio, text: track.flag('text', false), accuracy: track.oneOf('accuracy', ACCURACIES, 'frame'), clips };
}

const clipTimeFormats = new WeakMap<XtlClip, TimeFormat>();
function previousTimeFormat(clip: XtlClip): TimeFormat | undefined {
  return clipTimeFormats.get(clip);
}

function readClip(element: XmlElement, trackParams: Partial<ClipParams>, previous: XtlClip | undefined, transition: XtlTransition | undefined): XtlClip {
  const clip: ElementReader = new ElementReader(element, 'clip', ['src', 'start', 'stop', 'mstart', 'mstop', 'timeFormat']);
  const src = clip.required('src');
  if (src.trim() === '') clip.fail('the source must not be empty', 'src');
  const format = clip.timeFormat();
  const start = clip.time('start', format);
  const stop = clip.time('stop', format);
  if (stop <= start) clip.fail(`stop (${formatHns(stop)}) must be after start (${formatHns(start)})`, 'stop');

  const previousStop = previous?.timelineStopHns ?? 0;
  const expectedStart = previousStop - (transition?.durationHns ?? 0);
  let result: Omit<XtlClip, 'params' | 'effects'>;
  if (clip.optional('mstart') !== undefined) {
    // DES form: start/stop place the clip on the timeline, mstart/mstop are in and out points.
    const mstart = clip.time('mstart', format);
    const mstop = clip.optional('mstop') === undefined ? mstart + (stop - start) : clip.time('mstop', format);
    if (mstop <= mstart) clip.fail(`mstop (${formatHns(mstop)}) must be after mstart (${formatHns(mstart)})`, 'mstop');
    const speed = (mstop - mstart) / (stop - start);
    if (speed < 1 / 16 || speed > 16)
      clip.fail(
        `playing ${formatHns(mstop - mstart)} of source in ${formatHns(stop - start)} is a speed of ${speed.toFixed(3)}; speeds from 1/16 to 16 are supported`,
        'mstop',
      );
    if (transition && start !== expectedStart) {
      clip.fail(
        `after a ${formatHns(transition.durationHns)} transition this clip must start at ${formatHns(expectedStart)} (the previous clip's end minus the transition)`,
        'start',
      );
    }
    if (!transition && start < previousStop) {
      clip.fail(
        `the clip starts at ${formatHns(start)}, before the previous clip on this track ends (${formatHns(previousStop)}); clips on a track play one after another: use another track to overlap, or a transition`,
        'start',
      );
    }
    result = { line: element.line, src, timelineStartHns: start, timelineStopHns: stop, sourceStartHns: mstart, sourceStopHns: mstop, positioned: true };
  } else {
    if (clip.optional('mstop') !== undefined) clip.fail('mstop needs mstart', 'mstop');
    // The editor API's form: start/stop are in and out points; the clip follows the previous one.
    result = {
      line: element.line,
      src,
      timelineStartHns: expectedStart,
      timelineStopHns: expectedStart + (stop - start),
      sourceStartHns: start,
      sourceStopHns: stop,
      positioned: false,
    };
  }

  let clipParams: Partial<ClipParams> = {};
  const effects: XtlEffect[] = [];
  for (const child of clip.children(['param', 'effect'])) {
    if (child.name === 'param') clipParams = { ...clipParams, ...readClipParam(child, format) };
    else effects.push(readEffect(child));
  }
  const params: ClipParams = { ...NO_PARAMS, ...trackParams, ...clipParams };
  const durationHns = result.timelineStopHns - result.timelineStartHns;
  for (const [kind, value] of [
    ['video', params.videoFadeInHns + params.videoFadeOutHns],
    ['audio', params.audioFadeInHns + params.audioFadeOutHns],
  ] as const) {
    if (value > durationHns) clip.fail(`the ${kind} fades (in + out: ${formatHns(value)}) last longer than the clip (${formatHns(durationHns)})`);
  }
  const parsed: XtlClip = { ...result, params, effects };
  clipTimeFormats.set(parsed, format);
  return parsed;
}

function readParamElement(element: XmlElement): { reader: ElementReader; name: string; value: string } {
  const reader = new ElementReader(element, 'param', ['name', 'value', 'timeFormat']);
  reader.children([]);
  return { reader, name: reader.required('name'), value: reader.required('value') };
}

function parseLength(reader: ElementReader, value: string, allowNegative: boolean): Length {
  const match = /^(-?\d+(?:\.\d+)?)(px|%)?$/.exec(value.trim());
  const n = match ? Number(match[1]) : NaN;
  if (!match || !Number.isFinite(n) || (!allowNegative && n <= 0)) {
    reader.fail(`"${value}" is not a ${allowNegative ? '' : 'positive '}length (pixels like 320 or 320px, or a percentage like 50%)`, 'value');
  }
  return { value: n, unit: match[2] === '%' ? '%' : 'px' };
}

function parseNumber(reader: ElementReader, value: string, min: number, max: number): number {
  const n = /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < min || n > max) reader.fail(`"${value}" is not a number from ${min} to ${max}`, 'value');
  return n;
}

function readClipParam(element: XmlElement, inheritedFormat: TimeFormat | undefined): Partial<ClipParams> {
  const param = readParamElement(element);
  const reader: ElementReader = param.reader;
  const { name, value } = param;
  if (!(CLIP_PARAM_NAMES as readonly string[]).includes(name)) {
    reader.fail(`unknown parameter "${name}" (known: ${CLIP_PARAM_NAMES.join(', ')})`, 'name');
  }
  const duration = (): number => {
    const format = reader.timeFormat(inheritedFormat);
    const hns = parseXtlTime(value, format);
    if (hns === undefined) reader.fail(`"${value}" is not a ${format} duration`, 'value');
    return hns;
  };
  switch (name) {
    case 'x':
    case 'y':
      return { [name]: parseLength(reader, value, true) };
    case 'width':
    case 'height':
      return { [name]: parseLength(reader, value, false) };
    case 'fit':
      if (!(FITS as readonly string[]).includes(value)) reader.fail(`"${value}" is not one of ${FITS.join(', ')}`, 'value');
      return { fit: value as ClipParams['fit'] };
    case 'opacity':
      return { opacity: parseNumber(reader, value, 0, 1) };
    case 'volume': {
      const db = /^(-?\d+(?:\.\d+)?)\s*dB$/i.exec(value.trim());
      if (db) {
        const gain = 10 ** (Number(db[1]) / 20);
        if (gain > 10) reader.fail(`"${value}" is louder than +20dB`, 'value');
        return { volume: gain };
      }
      return { volume: parseNumber(reader, value, 0, 10) };
    }
    case 'fadein': {
      const hns = duration();
      return { videoFadeInHns: hns, audioFadeInHns: hns };
    }
    case 'fadeout': {
      const hns = duration();
      return { videoFadeOutHns: hns, audioFadeOutHns: hns };
    }
    case 'videofadein':
      return { videoFadeInHns: duration() };
    case 'videofadeout':
      return { videoFadeOutHns: duration() };
    case 'audiofadein':
      return { audioFadeInHns: duration() };
    default:
      return { audioFadeOutHns: duration() };
  }
}

const EFFECT_PARAMS: Record<XtlEffect['type'], readonly string[]> = {
  grayscale: [],
  hflip: [],
  vflip: [],
  blur: ['radius'],
  color: ['brightness', 'contrast', 'saturation', 'gamma'],
  text: ['text', 'x', 'y', 'size', 'color', 'box'],
};

function readEffect(element: XmlElement): XtlEffect {
  const effect: ElementReader = new ElementReader(element, 'effect', ['type']);
  const type = effect.oneOf('type', EFFECT_TYPES) ?? effect.fail(`this attribute is required (${EFFECT_TYPES.join(', ')})`, 'type');
  const values = new Map<string, { reader: ElementReader; value: string }>();
  for (const child of effect.children(['param'])) {
    const { reader, name, value } = readParamElement(child);
    if (!EFFECT_PARAMS[type].includes(name)) {
      reader.fail(`the ${type} effect has no parameter "${name}"${EFFECT_PARAMS[type].length ? ` (it has ${EFFECT_PARAMS[type].join(', ')})` : ''}`, 'name');
    }
    values.set(name, { reader, value });
  }
  const num = (name: string, fallback: number, min: number, max: number) => {
    const entry = values.get(name);
    return entry ? parseNumber(entry.reader, entry.value, min, max) : fallback;
  };
  const line = element.line;
  switch (type) {
    case 'grayscale':
    case 'hflip':
    case 'vflip':
      return { type, line };
    case 'blur':
      return { type, line, radius: num('radius', 5, 0.5, 100) };
    case 'color':
      return {
        type,
        line,
        brightness: num('brightness', 0, -1, 1),
        contrast: num('contrast', 1, 0, 4),
        saturation: num('saturation', 1, 0, 3),
        gamma: num('gamma', 1, 0.1, 10),
      };
    case 'text': {
      const text = values.get('text')?.value;
      if (text === undefined || text === '') effect.fail('the text effect needs <param name="text" value="..."/>');
      const length = (name: string, fallback: Length) => {
        const entry = values.get(name);
        return entry ? parseLength(entry.reader, entry.value, true) : fallback;
      };
      const color = values.get('color');
      if (color && !/^(#[0-9a-fA-F]{6}|[a-zA-Z]{3,20})$/.test(color.value)) color.reader.fail(`"${color.value}" is not a colour name or #rrggbb`, 'value');
      const box = values.get('box');
      if (box && !['0', '1'].includes(box.value)) box.reader.fail(`"${box.value}" is not 0 or 1`, 'value');
      return {
        type,
        line,
        text,
        x: length('x', { value: 5, unit: '%' }),
        y: length('y', { value: 85, unit: '%' }),
        sizePx: num('size', 32, 4, 500),
        color: color?.value ?? 'white',
        box: box?.value === '1',
      };
    }
  }
}
