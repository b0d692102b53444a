import { ok, type CutroomClient } from '../../api/client.js';
import type { TextStyle } from './timeline-model.js';

/**
 * Text becomes an overlay image the way the editor API intends: drawn on a canvas the size of the
 * output frame (transparent around the text), sent as a base64 PNG to `/api/overlay_img`, and
 * used by its id as a clip source in the XTL.
 */

export function drawText(canvas: HTMLCanvasElement, style: TextStyle, width: number, height: number): void {
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('this browser cannot draw on a canvas');
  context.clearRect(0, 0, width, height);
  const fontPx = Math.max(8, Math.round((style.sizePct / 100) * height));
  context.font = `bold ${fontPx}px 'DejaVu Sans', system-ui, sans-serif`;
  context.textBaseline = 'top';
  const lines = style.text.split('\n');
  const padding = Math.round(fontPx * 0.35);
  const textWidth = Math.max(...lines.map((line) => context.measureText(line).width));
  const boxWidth = Math.ceil(textWidth + padding * 2);
  const boxHeight = Math.ceil(lines.length * fontPx * 1.2 + padding * 2);
  const x = Math.round((style.xPct / 100) * width);
  const y = Math.round((style.yPct / 100) * height);
  if (style.background !== 'transparent') {
    context.fillStyle = style.background;
    context.fillRect(x, y, boxWidth, boxHeight);
  }
  context.fillStyle = style.color;
  lines.forEach((line, i) => context.fillText(line, x + padding, y + padding + i * fontPx * 1.2));
}

/** Draws the text and stores it as an overlay image; answers its id. */
export async function uploadTextOverlay(api: CutroomClient, style: TextStyle, width: number, height: number): Promise<string> {
  const canvas = document.createElement('canvas');
  drawText(canvas, style, width, height);
  const data = canvas.toDataURL('image/png').replace(/^data:image\/png;base64,/, '');
  const answer = await ok(api.POST('/api/overlay_img', { body: { data } }));
  return answer.id;
}
