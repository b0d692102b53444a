import type { ClipParams, Length } from '../xtl/model.js';

/**
 * Where a clip's picture goes on the output frame: the size it is scaled to, what is cropped
 * (fit="cover"), and its top-left corner, which may lie outside the frame.
 */
export interface Placement {
  scaledWidth: number;
  scaledHeight: number;
  /** Applied after scaling (fit="cover"), in scaled pixels. */
  crop?: { width: number; height: number; x: number; y: number };
  /** The picture as it lands: top-left corner and size. */
  x: number;
  y: number;
  width: number;
  height: number;
}

function even(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}

function pixels(length: Length, of: number): number {
  return length.unit === '%' ? (length.value / 100) * of : length.value;
}

/** Source size in display pixels (sample aspect applied). */
export function placePicture(
  source: { width: number; height: number },
  frame: { width: number; height: number },
  params: Pick<ClipParams, 'x' | 'y' | 'width' | 'height' | 'fit'>,
): Placement {
  const aspect = source.width / source.height;
  let boxWidth: number;
  let boxHeight: number;
  if (params.width && params.height) {
    boxWidth = pixels(params.width, frame.width);
    boxHeight = pixels(params.height, frame.height);
  } else if (params.width) {
    boxWidth = pixels(params.width, frame.width);
    boxHeight = boxWidth / aspect;
  } else if (params.height) {
    boxHeight = pixels(params.height, frame.height);
    boxWidth = boxHeight * aspect;
  } else {
    boxWidth = frame.width;
    boxHeight = frame.height;
  }
  const boxX = params.x ? pixels(params.x, frame.width) : (frame.width - boxWidth) / 2;
  const boxY = params.y ? pixels(params.y, frame.height) : (frame.height - boxHeight) / 2;

  if (params.fit === 'cover') {
    const scale = Math.max(boxWidth / source.width, boxHeight / source.height);
    const scaledWidth = even(source.width * scale);
    const scaledHeight = even(source.height * scale);
    const width = Math.min(even(boxWidth), scaledWidth);
    const height = Math.min(even(boxHeight), scaledHeight);
    return {
      scaledWidth,
      scaledHeight,
      crop: { width, height, x: Math.floor((scaledWidth - width) / 2), y: Math.floor((scaledHeight - height) / 2) },
      x: Math.round(boxX),
      y: Math.round(boxY),
      width,
      height,
    };
  }
  const scale = params.fit === 'stretch' ? undefined : Math.min(boxWidth / source.width, boxHeight / source.height);
  const width = even(scale === undefined ? boxWidth : source.width * scale);
  const height = even(scale === undefined ? boxHeight : source.height * scale);
  return {
    scaledWidth: width,
    scaledHeight: height,
    x: Math.round(boxX + (boxWidth - width) / 2),
    y: Math.round(boxY + (boxHeight - height) / 2),
    width,
    height,
  };
}

/** The part of a placed picture inside the frame, or undefined when none of it is. */
export function visiblePart(placement: Placement, frame: { width: number; height: number }) {
  // Even edges: 4:2:0 chroma cannot start on an odd pixel.
  const left = Math.max(0, placement.x);
  const top = Math.max(0, placement.y);
  const x0 = left + (left % 2);
  const y0 = top + (top % 2);
  const x1 = Math.min(frame.width, placement.x + placement.width);
  const y1 = Math.min(frame.height, placement.y + placement.height);
  const width = Math.floor((x1 - x0) / 2) * 2;
  const height = Math.floor((y1 - y0) / 2) * 2;
  if (width <= 0 || height <= 0) return undefined;
  return { x: x0, y: y0, width, height, cropX: x0 - placement.x, cropY: y0 - placement.y };
}

export function samePlacement(a: Placement, b: Placement): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function fillsFrame(placement: Placement, frame: { width: number; height: number }): boolean {
  return placement.x === 0 && placement.y === 0 && placement.width === frame.width && placement.height === frame.height;
}
