import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { VoiceoverSessionsRepository } from '../../db/voiceover-sessions-repository.js';
import { badRequest, HttpError, serviceUnavailable } from '../../http/errors.js';
import { newId } from '../../ids.js';
import type { Logger } from '../../logger.js';
import type { JobSpec } from '../../scheduling/scheduler.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { OfferRejected, type IceCandidateInit, type MediaSession, type RecordingResult, type VoiceoverMediaServer } from '../../voiceover/media-server.js';
import { checkAudioOffer } from '../../voiceover/sdp-offer.js';
import type { MediaIngestHook } from '../ingest/media-ingest-hook.js';
import type { MediaService } from '../library/media.js';

/**
 * Voiceover recording, the editor API's way: `POST` answers the browser's WebRTC offer and opens a
 * session, `PUT` starts recording (the recording starts when it is answered), `DELETE` stops it
 * (the recording ends when it is received) and, with `keepRecording`, makes the file a
 * `voiceover` media entry, stored and ingested like an upload.
 *
 * The media of a session live in this process (the media server's connection and the file
 * being written), so requests for a session must reach the process that made it; a row per
 * session lets every replica count them and say so when a request went elsewhere. A session
 * ends when its owner has no valid token left (kept if it was recording), when it has not
 * started recording within the idle timeout, or when its peer goes away before recording.
 */

export interface VoiceoverOptions {
  maxSessions: number;
  idleTimeoutMs: number;
  sweepIntervalMs: number;
  /** Where recordings are written while they last (local disk of this process). */
  recordingDir: string;
}

export interface OwnerPresence {
  /** Whether the user has a valid token (a live socket, or one closed within the grace period). */
  isPresent(userId: string): Promise<boolean>;
}

export interface VoiceoverOffer {
  sdpOffer: string;
  iceCandidates: Array<IceCandidateInit | string>;
}

export interface VoiceoverAnswer {
  id: string;
  sdpAnswer: string;
  iceCandidates: IceCandidateInit[];
}

interface Session {
  id: string;
  ownerId: string;
  media: MediaSession;
  recording: { name: string; startedAtMs: number } | undefined;
  idleTimer: NodeJS.Timeout | undefined;
}

/** A refusal of `PUT` or `DELETE`, with the editor API's status. */
export class VoiceoverRefused extends HttpError {}

const MAX_NAME_LENGTH = 255;
/** A recording file not written to for this long belongs to no live session. */
const ABANDONED_AFTER_MS = 24 * 3600 * 1000;

export class VoiceoverService {
  private readonly sessions = new Map<string, Session>();
  /** Sessions being negotiated: they hold a place under the limit. */
  private negotiating = 0;
  private readonly ending = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly mediaServer: VoiceoverMediaServer,
    private readonly rows: VoiceoverSessionsRepository,
    private readonly media: MediaService,
    private readonly store: ObjectStore,
    private readonly ingest: MediaIngestHook,
    private readonly presence: OwnerPresence,
    private readonly options: VoiceoverOptions,
    private readonly logger: Logger,
  ) {}

  /** Sessions this process holds. */
  get localCount(): number {
    return this.sessions.size;
  }

  /** Sessions of every replica, for `/api/stat`. */
  liveCount(): Promise<number> {
    return this.rows.countLive(this.liveWindowMs());
  }

  start(): void {
    fs.mkdirSync(this.options.recordingDir, { recursive: true });
    void this.removeAbandonedFiles();
  }

  /** The periodic sweep (`sweep`), every `sweepIntervalMs`; stopped before `close`. */
  sweepJob(): JobSpec {
    return {
      name: 'voiceover-sweep',
      intervalMs: this.options.sweepIntervalMs,
      run: async () => {
        const ended = await this.sweep();
        if (ended > 0) this.logger.info({ ended }, 'ended voiceover sessions of users who left');
      },
      failureMessage: 'voiceover sweep failed; retrying at the next interval',
      logger: this.logger,
    };
  }

  /** `POST /api/voiceovers`: answers the offer; the session receives audio, recording nothing yet. */
  async create(ownerId: string, offer: VoiceoverOffer): Promise<VoiceoverAnswer> {
    if (this.closed) throw serviceUnavailable('the server is shutting down: start the voiceover again');
    if (this.sessions.size + this.negotiating >= this.options.maxSessions) {
      throw serviceUnavailable(
        `this server already holds ${this.options.maxSessions} voiceover sessions (VOICEOVER_MAX_SESSIONS): try again when one has ended`,
      );
    }
    const iceCandidates = offer.iceCandidates.map((c) => (typeof c === 'string' ? { candidate: c, sdpMLineIndex: 0 } : c));
    this.negotiating += 1;
    let media: MediaSession;
    try {
      checkAudioOffer(offer.sdpOffer);
      media = await this.mediaServer.createSession({ sdp: offer.sdpOffer, iceCandidates });
    } catch (error) {
      if (error instanceof OfferRejected) throw badRequest(error.message);
      throw error;
    } finally {
      this.negotiating -= 1;
    }
    const session: Session = { id: newId(), ownerId, media, recording: undefined, idleTimer: undefined };
    try {
      await this.rows.insert(session.id, ownerId);
    } catch (error) {
      await media.close();
      throw error;
    }
    this.sessions.set(session.id, session);
    this.armIdleTimer(session);
    media.onPeerGone(() => {
      // Before recording there is nothing to keep; a recording runs on until DELETE or the owner leaves.
      if (!session.recording) this.endUnrecorded(session, 'its WebRTC connection closed');
    });
    this.logger.info({ voiceoverId: session.id, userId: ownerId }, 'voiceover session opened');
    return { id: session.id, sdpAnswer: media.answer.sdpAnswer, iceCandidates: media.answer.iceCandidates };
  }

  /** `PUT /api/voiceovers/<id>`: starts recording now. */
  async startRecording(ownerId: string, id: string, name: string | undefined): Promise<void> {
    const session = await this.sessionOf(ownerId, id);
    if (session.recording) throw new VoiceoverRefused(400, 'bad_request', `voiceover ${id} is already recording: stop it with DELETE`);
    const trimmed = name?.trim();
    if (trimmed !== undefined && trimmed.length > MAX_NAME_LENGTH) {
      throw new VoiceoverRefused(400, 'bad_request', `name is longer than ${MAX_NAME_LENGTH} characters`);
    }
    // Taken before anything is awaited, so that a second PUT at the same moment is refused.
    const recording = { name: trimmed ?? '', startedAtMs: Date.now() };
    session.recording = recording;
    try {
      // A user over the quota learns it before recording, not after.
      await this.media.checkQuota(ownerId, 0);
      const { startedAtMs } = await session.media.startRecording(this.recordingPath(id));
      recording.startedAtMs = startedAtMs;
      recording.name ||= defaultName(startedAtMs);
    } catch (error) {
      if (session.recording === recording) session.recording = undefined;
      this.armIdleTimer(session);
      throw error;
    }
    clearTimeout(session.idleTimer);
    this.logger.info({ voiceoverId: id, userId: ownerId }, 'voiceover recording started');
  }

  /**
   * `DELETE /api/voiceovers/<id>`: stops the session at `receivedAtMs`. With `keep`, a recording
   * becomes a media entry, whose id is answered.
   */
  async stop(ownerId: string, id: string, keep: boolean, receivedAtMs: number): Promise<{ mediaId?: string }> {
    const session = await this.sessionOf(ownerId, id);
    return this.track(this.end(session, keep ? { endAtMs: receivedAtMs } : undefined, 'stopped by its owner'));
  }

  /** Ends the sessions of owners who have no valid token left, keeping what they recorded. */
  async sweep(): Promise<number> {
    const owners = new Map<string, boolean>();
    let ended = 0;
    for (const session of [...this.sessions.values()]) {
      if (!owners.has(session.ownerId)) owners.set(session.ownerId, await this.presence.isPresent(session.ownerId));
      if (owners.get(session.ownerId)) continue;
      if (this.sessions.get(session.id) !== session) continue;
      ended += 1;
      await this.track(this.end(session, session.recording ? { endAtMs: undefined } : undefined, 'its owner left'));
    }
    await this.rows.heartbeat([...this.sessions.keys()]);
    return ended;
  }

  /** Ends every session; recordings in progress are kept (they end with the last audio). */
  async close(): Promise<void> {
    this.closed = true;
    for (const session of [...this.sessions.values()]) {
      void this.track(this.end(session, session.recording ? { endAtMs: undefined } : undefined, 'the server is shutting down'));
    }
    await Promise.allSettled([...this.ending]);
    await this.mediaServer.close();
  }

  private async sessionOf(ownerId: string, id: string): Promise<Session> {
    const session = this.sessions.get(id);
    if (session && session.ownerId === ownerId) return session;
    if (!session && (await this.rows.heldElsewhere(ownerId, id, this.liveWindowMs()))) {
      throw new VoiceoverRefused(
        503,
        'service_unavailable',
        `voiceover ${id} is held by another control-plane replica: its requests must reach the replica that answered POST /api/voiceovers (sticky sessions)`,
      );
    }
    // Another user's session is as unknown as one that never was.
    throw new VoiceoverRefused(404, 'not_found', `no voiceover session ${id}`);
  }

  /**
   * Removes a session at once (later requests see none), stops its media and, when `keep` is
   * given and it was recording, makes the recording a media entry.
   */
  private async end(session: Session, keep: { endAtMs: number | undefined } | undefined, why: string): Promise<{ mediaId?: string }> {
    if (this.sessions.get(session.id) !== session) return {};
    this.sessions.delete(session.id);
    clearTimeout(session.idleTimer);
    const log = this.logger.child({ voiceoverId: session.id, userId: session.ownerId });
    let recorded: RecordingResult | undefined;
    try {
      if (keep) recorded = await session.media.stopRecording({ endAtMs: keep.endAtMs });
    } catch (error) {
      await fsp.rm(this.recordingPath(session.id), { force: true });
      throw error;
    } finally {
      await session.media.close();
      await this.rows.remove(session.id).catch((error: unknown) => log.warn({ err: error }, 'could not remove a voiceover session row'));
    }
    if (!recorded || !session.recording) {
      await fsp.rm(this.recordingPath(session.id), { force: true });
      log.info({ why }, 'voiceover session ended');
      return {};
    }
    try {
      const mediaId = await this.keepRecording(session.ownerId, session.recording, recorded);
      log.info({ why, mediaId, durationMs: recorded.durationMs }, 'voiceover session ended; recording kept');
      return { mediaId };
    } finally {
      await fsp.rm(recorded.path, { force: true });
    }
  }

  private armIdleTimer(session: Session): void {
    clearTimeout(session.idleTimer);
    session.idleTimer = setTimeout(() => this.endUnrecorded(session, 'it did not start recording in time'), this.options.idleTimeoutMs);
    session.idleTimer.unref();
  }

  private endUnrecorded(session: Session, why: string): void {
    if (session.recording) return;
    void this.track(this.end(session, undefined, why)).catch((error: unknown) => {
      this.logger.warn({ err: error, voiceoverId: session.id }, 'closing a voiceover session failed');
    });
  }

  /** The recording becomes a `voiceover` entry: stored like an upload's bytes, then ingested. */
  private async keepRecording(ownerId: string, recording: { name: string; startedAtMs: number }, recorded: RecordingResult): Promise<string> {
    // Already recorded, so never refused for size: the quota was checked when recording started.
    const row = await this.media.create({
      ownerId,
      name: recording.name,
      // The file began when recording started: its first sample is that moment.
      createTimeMs: recording.startedAtMs,
      type: 'voiceover',
      status: 'upload',
      filetype: recorded.filetype,
      mediaType: 'audio',
      sizeBytes: recorded.sizeBytes,
      durationHns: Math.round(recorded.durationMs * 10_000),
      enforceQuota: false,
    });
    const key = this.media.objectKey(row, 'original', recorded.filetype);
    try {
      await this.store.put(key, fs.createReadStream(recorded.path), { sizeBytes: recorded.sizeBytes, contentType: 'audio/webm' });
    } catch (error) {
      await this.media.update(row.id, {
        status: 'ready',
        error: { type: 'internal_server_error', message: 'the recording could not be stored', title: 'Storage failed' },
      });
      throw error;
    }
    const stored = await this.media.update(row.id, { originalKey: key });
    if (stored) await this.ingest.requestIngest(stored);
    return row.id;
  }

  /**
   * Recordings a crashed process left: their sessions are gone with it. Only old files go,
   * as another process may share the directory (replicas on one DATA_DIR).
   */
  private async removeAbandonedFiles(): Promise<void> {
    try {
      const cutoff = Date.now() - ABANDONED_AFTER_MS;
      for (const name of await fsp.readdir(this.options.recordingDir)) {
        const file = path.join(this.options.recordingDir, name);
        const stat = await fsp.stat(file).catch(() => undefined);
        if (stat?.isFile() && stat.mtimeMs < cutoff) await fsp.rm(file, { force: true });
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'could not clean up abandoned voiceover recordings');
    }
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.ending.add(work);
    void work.finally(() => this.ending.delete(work)).catch(() => {});
    return work;
  }

  private recordingPath(id: string): string {
    return path.join(this.options.recordingDir, `${id}.webm`);
  }

  /** A holder refreshes its rows every sweep: three missed sweeps and a row is taken for dead. */
  private liveWindowMs(): number {
    return this.options.sweepIntervalMs * 3 + 5000;
  }
}

function defaultName(startedAtMs: number): string {
  return `Voiceover ${new Date(startedAtMs).toISOString().slice(0, 19).replace('T', ' ')}`;
}
