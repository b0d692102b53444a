export { parseXtl } from './parse-xtl.js';
export { XtlError } from './xtl-error.js';
export * from './model.js';
export { HNS_PER_SECOND, parseFrameRate, parseXtlTime, TIME_FORMATS, type TimeFormat } from './time-format.js';
