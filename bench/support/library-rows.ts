import { newId } from '../../control-plane/src/ids.js';

/**
 * A user's library for the list benches, as `media` rows in batches of 500: videos, sounds and
 * pictures in turn, named `<word> clip <i>.<ext>`, each with a list thumbnail of a realistic
 * size (a small PNG is a few kB of base64), added a second apart.
 */
export function* libraryRows(userId: string, files: number) {
  const thumbnail = Buffer.alloc(2400, 7).toString('base64');
  const kinds = [
    ['video', 'mp4'],
    ['audio', 'mp3'],
    ['image', 'png'],
  ] as const;
  const base = Date.now() - files * 1000;
  for (let start = 0; start < files; start += 500) {
    yield Array.from({ length: Math.min(500, files - start) }, (_, j) => {
      const i = start + j;
      const [mediaType, filetype] = kinds[i % 3]!;
      const id = newId();
      return {
        id,
        owner_id: userId,
        folder_id: null,
        name: `${['Interview', 'b-roll', 'Drone', 'voice', 'Sunset'][i % 5]} clip ${i}.${filetype}`,
        type: 'uploaded' as const,
        filetype,
        media_type: mediaType,
        duration_hns: (i * 7919) % 6_000_000_000,
        size_bytes: (i * 104_729) % 2_000_000_000,
        width: 1920,
        height: 1080,
        thumbnail,
        audio_tracks: JSON.stringify(['Track 1']),
        status: 'ready' as const,
        progress: 100,
        original_key: `media/${userId}/${id}/original.${filetype}`,
        create_time_ms: base + i * 1000,
      };
    });
  }
}
