import { describe, expect, it } from 'vitest';
import { topLevelMemberSpans } from './json-member-spans.js';

const spanText = (json: string, name: string) => {
  const bytes = Buffer.from(json);
  const span = topLevelMemberSpans(bytes, [name])?.get(name);
  return span && bytes.toString('utf8', span.start, span.end);
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

describe('topLevelMemberSpans', () => {
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

  it('skips a byte order mark and refuses what is not an object', () => {
    expect(spanText('\ufeff{"data":1}', 'data')).toBe('1');
    expect(topLevelMemberSpans(Buffer.from('[1]'), ['data'])).toBeUndefined();
    expect(topLevelMemberSpans(Buffer.from('"data"'), ['data'])).toBeUndefined();
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
});
