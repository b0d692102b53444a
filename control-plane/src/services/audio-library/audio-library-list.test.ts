import { describe, expect, it } from 'vitest';
import { ListFormatError, parseAudioLibraryList } from './audio-library-list.js';

describe('parseAudioLibraryList', () => {
  it("reads the editor API's example as written, trailing commas included", () => {
    const editorApiExample = `{
"entries": [
{
"name": "Bubble_G_Funk_Remastered.mp3",
"relativePath": "Bubble_G_Funk_Remastered.mp3",
"category": "Electro",
"type": "music"
},
{
"name": "cats.mp3",
"relativePath": "cats.mp3",
"category": "animals",
"type": "sound"
},
]
}`;
    expect(parseAudioLibraryList(editorApiExample)).toEqual([
      {
        ok: true,
        entry: { relativePath: 'Bubble_G_Funk_Remastered.mp3', name: 'Bubble_G_Funk_Remastered.mp3', audiolibType: 'music', category: 'Electro', mood: null },
      },
      { ok: true, entry: { relativePath: 'cats.mp3', name: 'cats.mp3', audiolibType: 'sound', category: 'animals', mood: null } },
    ]);
  });

  it('fills defaults: music, the base name, no category or mood for blank ones; a bare array is a list too', () => {
    expect(parseAudioLibraryList('[{"relativePath": "a/b/Rain.wav", "category": "  ", "mood": " Calm "}]')).toEqual([
      { ok: true, entry: { relativePath: 'a/b/Rain.wav', name: 'Rain.wav', audiolibType: 'music', category: null, mood: 'Calm' } },
    ]);
  });

  it('refuses a bad entry alone, named by its path or its position', () => {
    const items = parseAudioLibraryList(
      JSON.stringify({ entries: [{ name: 'no path' }, { relativePath: 'x.mp3', type: 'noise' }, 'text', { relativePath: 'ok.mp3' }] }),
    );
    expect(items.map((item) => (item.ok ? item.entry.relativePath : `${item.label} | ${item.reason}`))).toEqual([
      expect.stringMatching(/^entry 1 \| not a valid entry \(relativePath: /),
      expect.stringMatching(/^x\.mp3 \| not a valid entry \(type: /),
      expect.stringMatching(/^entry 3 \| not a valid entry/),
      'ok.mp3',
    ]);
  });

  it('refuses a document that is not a list', () => {
    expect(() => parseAudioLibraryList('{"entries": [')).toThrow(ListFormatError);
    expect(() => parseAudioLibraryList('{"files": []}')).toThrow(/no "entries" array/);
  });
});
