/** The render node as a library: what the control plane shares with it. */
export { loadRenderNodeConfig, renderNodeConfig, RenderNodeConfigError, type RenderNodeConfig } from './config.js';
export * from './ffmpeg/index.js';
export * from './xtl/index.js';
export * from './engine/index.js';
