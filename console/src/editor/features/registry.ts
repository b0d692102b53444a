import type { ComponentType } from 'preact';
import type { EditorContext } from '../editor-context.js';
import { audioLibraryFeature } from './audio-library-panel.js';
import { projectImportFeature } from './project-import-panel.js';

/**
 * Editor features that need API routes not every server has: each is a small module that adds
 * a panel, shown only when the server's OpenAPI document lists the routes it calls. Planned
 * here: the audio library (`/api/audiolib_files`: music into the sound track), project import
 * (`/api/upload/project`: an EDL zip becomes a project) and voiceover (`/api/voiceovers`: a
 * WebRTC recording from the microphone into the library). Each adds one entry to FEATURES.
 */

export interface EditorFeature {
  id: string;
  title: string;
  /** Routes (as written in the OpenAPI document) the feature needs. */
  requires: string[];
  Panel: ComponentType<{ context: EditorContext }>;
}

export const FEATURES: EditorFeature[] = [audioLibraryFeature, projectImportFeature];

/** The features the server supports, judged by its OpenAPI paths. */
export function availableFeatures(openApiPaths: string[]): EditorFeature[] {
  const paths = new Set(openApiPaths);
  return FEATURES.filter((feature) => feature.requires.every((route) => paths.has(route)));
}
