import type { CutroomClient } from '../api/client.js';
import type { MediaEntry } from '../api/types.js';
import type { PushMessage } from './session/presence-socket.js';
import type { Timeline } from './timeline/timeline-model.js';

/** What every editor panel may use: the API, the session's pushes, the timeline and the selection. */
export interface EditorContext {
  api: CutroomClient;
  userId: string;
  authToken: string;
  onPush(listener: (message: PushMessage) => void): () => void;
  timeline: Timeline;
  /** Changes the timeline as one undoable edit named `name`. */
  edit(name: string, change: (timeline: Timeline) => Timeline): void;
  /** Bumped whenever the library may have changed (an upload, an import, a render). */
  libraryVersion: number;
  refreshLibrary(): void;
  selected: MediaEntry | undefined;
  select(entry: MediaEntry | undefined): void;
  /** Says something to screen readers and in the status line. */
  announce(message: string): void;
}
