import type { Length, XtlEffect } from '../xtl/model.js';
import { quoteFilterValue } from './filter-graph.js';

/**
 * Picture effects as ffmpeg filters, applied to a clip before it is scaled into place.
 * `textFile` stores a text for drawtext and returns its path (no escaping of user text).
 */
export function effectFilters(effects: readonly XtlEffect[], textFile: (text: string) => string): string[] {
  const filters: string[] = [];
  for (const effect of effects) {
    switch (effect.type) {
      case 'grayscale':
        filters.push('hue=s=0');
        break;
      case 'hflip':
        filters.push('hflip');
        break;
      case 'vflip':
        filters.push('vflip');
        break;
      case 'blur':
        filters.push(`gblur=sigma=${effect.radius}`);
        break;
      case 'color':
        filters.push(`eq=brightness=${effect.brightness}:contrast=${effect.contrast}:saturation=${effect.saturation}:gamma=${effect.gamma}`);
        break;
      case 'text': {
        const position = (length: Length, axis: 'w' | 'h') => (length.unit === '%' ? `${length.value / 100}*${axis}` : String(length.value));
        const box = effect.box ? ':box=1:boxcolor=black@0.5:boxborderw=8' : '';
        filters.push(
          `drawtext=textfile=${quoteFilterValue(textFile(effect.text))}:expansion=none:font=Sans:fontsize=${effect.sizePx}` +
            `:fontcolor=${quoteFilterValue(effect.color)}:x=${quoteFilterValue(position(effect.x, 'w'))}:y=${quoteFilterValue(position(effect.y, 'h'))}${box}`,
        );
        break;
      }
    }
  }
  return filters;
}
