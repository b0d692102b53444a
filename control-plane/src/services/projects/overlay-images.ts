import type { OverlayImagesRepository } from '../../db/overlay-images-repository.js';
import { newId } from '../../ids.js';
import type { OverlayPins } from './overlay-pins.js';
import { inspectPng, PngRejected } from './png-inspection.js';

/**
 * Overlay images: PNGs of rendered text or pictures the editor uploads to use as sources of a
 * render. They are small and short-lived, so they live in the database (any replica and any
 * render node can read them, nothing to clean up in the object store), and they are deleted
 * once their owner has been gone past the token grace period, unless a running render uses them.
 */

/** Why an upload was refused; the message is the answer's `status`. */
export class OverlayRejected extends Error {}

export interface Presence {
  /** Whether the user has a valid token (a live socket, or one closed within the grace period). */
  isPresent(userId: string): Promise<boolean>;
}

const DATA_URL_PREFIX = /^data:image\/png;base64,/i;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

export class OverlayImagesService {
  constructor(
    private readonly overlays: OverlayImagesRepository,
    private readonly presence: Presence,
    private readonly pins: OverlayPins,
    private readonly options: { maxBytes: number },
  ) {}

  /** Keeps a base64 PNG (a `data:image/png;base64,` URL works too) and answers its id. */
  async create(ownerId: string, data: unknown): Promise<{ id: string }> {
    if (typeof data !== 'string' || data.length === 0) {
      throw new OverlayRejected('data must be a base64-encoded PNG image (a non-empty string)');
    }
    const base64 = data.replace(DATA_URL_PREFIX, '').replace(/\s+/g, '');
    if (!BASE64.test(base64) || base64.length % 4 === 1) throw new OverlayRejected('data is not valid base64');
    if (Math.floor((base64.length * 3) / 4) - 2 > this.options.maxBytes) {
      throw new OverlayRejected(`the image is larger than ${this.options.maxBytes} bytes (OVERLAY_MAX_BYTES)`);
    }
    const png = Buffer.from(base64, 'base64');
    if (png.length > this.options.maxBytes) {
      throw new OverlayRejected(`the image is larger than ${this.options.maxBytes} bytes (OVERLAY_MAX_BYTES)`);
    }
    let size;
    try {
      size = inspectPng(png);
    } catch (error) {
      if (error instanceof PngRejected) throw new OverlayRejected(error.message);
      throw error;
    }
    const id = newId();
    await this.overlays.insert({ id, ownerId, png, ...size });
    return { id };
  }

  /** The PNG bytes of an owner's overlay image, for renders; undefined when there is none. */
  read(ownerId: string, id: string): Promise<Buffer | undefined> {
    return this.overlays.read(ownerId, id);
  }

  /** The size of an owner's overlay image (renders check timelines with it); undefined when there is none. */
  describe(ownerId: string, id: string): Promise<{ width: number; height: number } | undefined> {
    return this.overlays.dimensions(ownerId, id);
  }

  /** Deletes the overlay images of owners who are gone, except those in use; answers how many. */
  async sweep(): Promise<number> {
    const { ownerIds, readAt } = await this.overlays.owners();
    if (ownerIds.length === 0) return 0;
    const pinned = [...(await this.pins.pinned())];
    let deleted = 0;
    for (const ownerId of ownerIds) {
      if (await this.presence.isPresent(ownerId)) continue;
      deleted += await this.overlays.deleteOwned(ownerId, readAt, pinned);
    }
    return deleted;
  }
}
