/** The render node as a library: what the control plane shares with it. */
export * from './protocol.js';
