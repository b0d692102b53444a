export {
  planSegments,
  cutAllowed,
  sliceGroup,
  soundOfGroup,
  audioContainerFor,
  frameHns,
  type SegmentDecision,
  type SegmentOptions,
  type SegmentWindow,
} from './segment-plan.js';
export type { SegmentTaskSpec, SegmentTaskResult, JoinTaskSpec } from './segment-spec.js';
export { isSegmentSpec, isJoinSpec } from './segment-spec.js';
