import type { StorageConfig } from '../config.js';
import { FsObjectStore } from './fs-object-store.js';
import type { ObjectStore } from './object-store.js';
import { S3ObjectStore } from './s3-object-store.js';
import type { UrlSigner } from './signed-url.js';

export interface OpenedObjectStore {
  store: ObjectStore;
  /** The fs driver's root (for the free-disk floor); undefined for s3. */
  fsRoot: string | undefined;
  close(): void;
}

/** The driver STORAGE names, ready to use (the s3 bucket exists once this resolves). */
export async function openObjectStore(
  config: StorageConfig,
  signer: UrlSigner,
  baseUrl: (audience: 'browser' | 'internal') => string,
  onS3Error?: (operation: string) => void,
): Promise<OpenedObjectStore> {
  if (config.driver === 'fs') {
    const store = new FsObjectStore({ root: config.root, signer, baseUrl });
    return { store, fsRoot: config.root, close: () => {} };
  }
  const store = new S3ObjectStore({
    endpoint: config.endpoint,
    publicEndpoint: config.publicEndpoint,
    bucket: config.bucket,
    region: config.region,
    accessKey: config.accessKey,
    secretKey: config.secretKey,
    forcePathStyle: config.forcePathStyle,
    onError: onS3Error,
  });
  await store.ensureBucket();
  return { store, fsRoot: undefined, close: () => store.destroy() };
}
