/** Edit decision lists (CMX 3600, OpenTimelineIO, Final Cut Pro 7 XML), the timeline they become, and its XTL. */
export * from './edit-list.js';
export { EditListError } from './edit-list-error.js';
export { parseCmx3600 } from './cmx3600.js';
export { parseOtio } from './otio.js';
export { parseFcp7Xml } from './fcp7-xml.js';
export { readEditList, editListFormatOf } from './read-edit-list.js';
export * from './timeline.js';
export { buildTimeline, type ImportedMedia, type BuiltTimeline } from './build-timeline.js';
export { timelineToXtl, type TimelineXtl } from './timeline-to-xtl.js';
export * from './timecode.js';
