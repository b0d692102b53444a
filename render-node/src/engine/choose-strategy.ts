import { fullRender } from './full-render.js';
import type { PlanContext, RenderStrategy } from './plan.js';
import { streamCopy } from './stream-copy.js';

/**
 * The strategies in order of preference; the first that accepts a group renders it. The full
 * render accepts every group, so it comes last; a faster frame-accurate strategy (smart
 * cutting) goes before it.
 */
export const STRATEGIES: readonly RenderStrategy[] = [streamCopy, fullRender];

export interface StrategyChoice {
  strategy: RenderStrategy;
  /** Why faster strategies that the timeline asked for were passed over. */
  passedOver: string[];
}

export function chooseStrategy(ctx: PlanContext, strategies: readonly RenderStrategy[] = STRATEGIES): StrategyChoice {
  const declined: string[] = [];
  for (const strategy of strategies) {
    const verdict = strategy.consider(ctx);
    if (verdict.ok) return { strategy, passedOver: declined.filter((reason) => reason.includes('asked, but')) };
    declined.push(verdict.reason);
  }
  throw new Error('no render strategy accepted the group');
}
