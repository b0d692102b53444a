import { describe, expect, it } from 'vitest';
import { RawJson, stringifyWithRaw } from './raw-json.js';

describe('stringifyWithRaw', () => {
  it('splices stored JSON texts verbatim into the answer', () => {
    const text = stringifyWithRaw({ id: 'p1', data: new RawJson('{ "a" : 1.0 }'), list: [new RawJson('"s"'), 2] });
    expect(text).toBe('{"id":"p1","data":{ "a" : 1.0 },"list":["s",2]}');
  });

  it('leaves strings that look like its markers alone', () => {
    const value = { name: '\\u0000abc:0', other: '"\u0000x:0"', data: new RawJson('[]') };
    const text = stringifyWithRaw(value);
    expect(JSON.parse(text)).toEqual({ name: '\\u0000abc:0', other: '"\u0000x:0"', data: [] });
  });

  it('is plain JSON.stringify when there is nothing raw', () => {
    const value = { a: [1, { b: 'c' }], d: null };
    expect(stringifyWithRaw(value)).toBe(JSON.stringify(value));
  });
});
