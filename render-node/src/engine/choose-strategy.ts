import { fullRender } from './full-render.js';
import type { PlanContext, RenderStrategy } from './plan.js';
import { smartCut } from './smart-cut/smart-cut.js';
import { streamCopy } from './stream-copy.js';

/**
 * The strategies in order of preference; the first that accepts a group renders it. The full
 * render accepts every group, so it comes last; smart cutting (frame-accurate, copying whole
 * GOPs) goes before it.
 */
export const STRATEGIES: readonly RenderStrategy[] = [streamCopy, smartCut, fullRender];

export interface StrategyChoice {
  strategy: RenderStrategy;
  /** Why faster strategies that the timeline asked for were passed over. */
  passedOver: string[];
}

export function chooseStrategy(ctx: PlanContext, strategies: readonly RenderStrategy[] = STRATEGIES): StrategyChoice {
  const passedOver: string[] = [];
  for (const strategy of strategies) {
    const verdict = strategy.consider(ctx);
    if (verdict.ok) return { strategy, passedOver };
    if (verdict.notable || verdict.reason.includes('asked, but')) passedOver.push(verdict.reason);
  }
  throw new Error('no render strategy accepted the group');
}
