/**
 * Uploads not finished yet, remembered in localStorage per user: the session id and the file's
 * identity (name, size, modification time). After a reload the browser no longer holds the
 * file; when the user picks or drops the same file again, its upload resumes where the server
 * left it instead of starting over.
 */

export interface RememberedUpload {
  mediaId: string;
  name: string;
  size: number;
  lastModified: number;
  folder: string | null;
  startedAtMs: number;
  /** Bytes the server held when last heard from. */
  receivedBytes: number;
}

interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Sessions live 24 h on the server (UPLOAD_SESSION_TTL_S); older memories are dropped. */
const MAX_AGE_MS = 24 * 3600 * 1000;

export class UploadMemory {
  constructor(
    private readonly storage: StorageLike,
    private readonly userId: string,
    private readonly nowMs: () => number = Date.now,
  ) {}

  private get key(): string {
    return `cutroom.uploads.${this.userId}`;
  }

  list(): RememberedUpload[] {
    try {
      const all = JSON.parse(this.storage.getItem(this.key) ?? '[]') as RememberedUpload[];
      return all.filter((u) => this.nowMs() - u.startedAtMs < MAX_AGE_MS);
    } catch {
      return [];
    }
  }

  /** The unfinished upload of this very file, if one is remembered. */
  find(file: { name: string; size: number; lastModified: number }): RememberedUpload | undefined {
    return this.list().find((u) => u.name === file.name && u.size === file.size && u.lastModified === file.lastModified);
  }

  remember(upload: RememberedUpload): void {
    this.write([...this.list().filter((u) => u.mediaId !== upload.mediaId), upload]);
  }

  update(mediaId: string, receivedBytes: number): void {
    this.write(this.list().map((u) => (u.mediaId === mediaId ? { ...u, receivedBytes } : u)));
  }

  forget(mediaId: string): void {
    this.write(this.list().filter((u) => u.mediaId !== mediaId));
  }

  private write(uploads: RememberedUpload[]): void {
    this.storage.setItem(this.key, JSON.stringify(uploads));
  }
}
