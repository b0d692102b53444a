/**
 * Overlay images that must outlive their owner's visit: those a running render still reads.
 * The work system implements it; until then nothing is pinned.
 */
export interface OverlayPins {
  /** Ids of overlay images in use now. */
  pinned(): Promise<Set<string>>;
}

export const noOverlayPins: OverlayPins = {
  pinned: async () => new Set(),
};
