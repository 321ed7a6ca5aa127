import type { ArtifactStore } from './artifact-store.js';
import { createFsArtifactStore, type FsArtifactStoreOptions } from './fs-store.js';
import { createS3ArtifactStore, type S3ArtifactStoreOptions } from './s3-store.js';

export * from './artifact-store.js';
export { createFsArtifactStore, type FsArtifactStoreOptions } from './fs-store.js';
export { createS3ArtifactStore, type S3ArtifactStoreOptions } from './s3-store.js';

/** Produced by config.ts: `fs` is the embedded default, `s3` when S3_BUCKET is set. */
export type ArtifactStoreConfig = ({ kind: 'fs' } & FsArtifactStoreOptions) | ({ kind: 's3' } & S3ArtifactStoreOptions);

export function createArtifactStore(cfg: ArtifactStoreConfig): ArtifactStore {
  switch (cfg.kind) {
    case 'fs':
      return createFsArtifactStore({ root: cfg.root });
    case 's3': {
      const { kind: _kind, ...s3 } = cfg;
      return createS3ArtifactStore(s3);
    }
  }
}
