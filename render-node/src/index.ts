/** The render node as a library: what the control plane shares with it. */
export * from './protocol.js';
export { loadRenderNodeConfig, renderNodeConfig, RenderNodeConfigError, type RenderNodeConfig } from './config.js';
export * from './ffmpeg/index.js';
