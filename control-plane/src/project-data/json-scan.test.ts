import { describe, expect, it } from 'vitest';
import { MAX_DEPTH, scanJson } from './json-scan.js';

const spanText = (json: string, name: string) => {
  const bytes = Buffer.from(json);
  const scan = scanJson(bytes);
  if (!scan.ok) throw new Error(`refused: ${scan.reason} at ${scan.offset}`);
  const span = scan.members?.get(name);
  return span && bytes.toString('utf8', span.start, span.end);
};

const accepts = (json: string) => scanJson(Buffer.from(json)).ok;
const parses = (json: string) => {
  try {
    JSON.parse(json);
    return true;
  } catch {
    return false;
  }
};

/** A small deterministic generator of awkward JSON texts (whitespace, escapes, nesting, unicode). */
function randomJson(seed: number): string {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]!;
  const space = () => pick(['', ' ', '\n  ', '\t', '\r\n']);
  const string = () => JSON.stringify(pick(['', 'a"b', 'back\\slash\\', '\\"', 'é😀', '}]{[', '\u0000\n', 'x'.repeat(50)]));
  const value = (depth: number): string => {
    const kind = depth > 3 ? pick(['s', 'n', 'l']) : pick(['s', 'n', 'l', 'o', 'a']);
    if (kind === 's') return string();
    if (kind === 'n') return pick(['0', '-1.5e+10', '12345678901234567890', '1.0']);
    if (kind === 'l') return pick(['true', 'false', 'null']);
    const count = Math.floor(next() * 4);
    const items = Array.from({ length: count }, () =>
      kind === 'o' ? `${space()}${string()}${space()}:${space()}${value(depth + 1)}${space()}` : `${space()}${value(depth + 1)}${space()}`,
    );
    return kind === 'o' ? `{${items.join(',')}${space()}}` : `[${items.join(',')}${space()}]`;
  };
  return value(0);
}

describe('scanJson', () => {
  it('finds the exact text of a member, whatever its formatting', () => {
    const data = '{ "b" : [1, 2.50, "x\\"}"],\n "a":{} }';
    expect(spanText(`{"name":"p","data":${data},"t":1}`, 'data')).toBe(data);
    expect(spanText(`  {"data":"only a string \\\\"}  `, 'data')).toBe('"only a string \\\\"');
    expect(spanText('{"data":12345678901234567890}', 'data')).toBe('12345678901234567890');
    expect(spanText('{"x":1,"data":null}', 'data')).toBe('null');
    expect(spanText('{"x":1}', 'data')).toBeUndefined();
  });

  it('takes the last of duplicate keys, as JSON.parse does, and decodes escaped keys', () => {
    expect(spanText('{"data":1,"data":[2]}', 'data')).toBe('[2]');
    expect(spanText('{"d\\u0061ta":true}', 'data')).toBe('true');
  });

  it('skips a byte order mark; a top level that is not an object has no members', () => {
    expect(spanText('\ufeff{"data":1}', 'data')).toBe('1');
    expect(scanJson(Buffer.from('[1]'))).toEqual({ ok: true, members: undefined });
    expect(scanJson(Buffer.from(' "data" '))).toEqual({ ok: true, members: undefined });
  });

  it('refuses what JSON.parse refuses, saying where', () => {
    const bad = [
      '',
      ' ',
      '{',
      '{"a":1,}',
      '[1,]',
      '[1 2]',
      '{"a" 1}',
      '{a:1}',
      "{'a':1}",
      '01',
      '-',
      '1.',
      '.5',
      '1e',
      '+1',
      '"tab' + '\t' + 'here"',
      '"\\x"',
      '"\\u12G4"',
      '"open',
      'tru',
      'nul',
      '[1]]',
      '{}{}',
      '[',
      'NaN',
      '"a\\u0000\\',
      '{"a":1}x',
      '[-]',
      '[1e+]',
      '"\\u00"',
      '"' + '\u0001' + '"',
    ];
    for (const text of bad) {
      expect(parses(text), text).toBe(false);
      const scan = scanJson(Buffer.from(text));
      expect(scan.ok, text).toBe(false);
      if (!scan.ok) expect(scan.offset).toBeLessThanOrEqual(text.length);
    }
    expect(scanJson(Buffer.from('{"a":[1,2,}'))).toMatchObject({ ok: false, offset: 10 });
  });

  it('accepts every JSON value at the top level, with any whitespace', () => {
    for (const text of ['0', '-0.5E-7', ' true ', 'null', '"é"', '[]', '{}', '\t[ {} , [ ] ]\r\n', '1e+5', '"\\u00e9\\/"']) {
      expect(parses(text), text).toBe(true);
      expect(accepts(text), text).toBe(true);
    }
  });

  it('bounds nesting', () => {
    expect(accepts('['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH))).toBe(true);
    expect(scanJson(Buffer.from('['.repeat(MAX_DEPTH + 1) + ']'.repeat(MAX_DEPTH + 1)))).toMatchObject({ ok: false });
  });

  it('agrees with JSON.parse on generated documents', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const data = randomJson(seed);
      const body = `{"name":${JSON.stringify(`n${seed}`)},"data":${data},"thumbnail":"t"}`;
      const text = spanText(body, 'data');
      expect(text).toBe(data);
      expect(JSON.parse(text!)).toEqual(JSON.parse(body).data);
    }
  });

  it('agrees with JSON.parse on damaged documents', () => {
    let state = 99;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const junk = ['', '"', '\\', ',', ':', '}', ']', '{', '[', '0', '-', 'e', '.', ' ', '\u0001', 'u'];
    for (let seed = 1; seed <= 2000; seed++) {
      const text = randomJson(seed);
      const at = Math.floor(next() * (text.length + 1));
      const cut = Math.floor(next() * 3);
      const damaged = text.slice(0, at) + junk[Math.floor(next() * junk.length)] + text.slice(at + cut);
      expect(accepts(damaged), damaged).toBe(parses(damaged));
    }
  });
});
