// The optimize run's options: the decision's settings and what only the run needs, apart from the run's code (the config of every run reads them).
import { z } from 'zod';
import { zMode } from '../domain/plan.ts';
import { zDecisionConfig } from '../optimizer/decision-config.ts';

export { zHourAheadConfig } from '../optimizer/decision-config.ts';

/** The decision's settings (one set of defaults, shared with the simulator) and what only the run needs. */
export const zOptimizeConfig = zDecisionConfig.extend({
  mode: zMode.default('recommend'),
  /** Stops every change whatever the mode: the run still plans and recommends. */
  killSwitch: z.boolean().default(false),
  maxActionsPerRun: z.number().int().min(0).max(1000).default(10),
});
export type OptimizeConfig = z.infer<typeof zOptimizeConfig>;
export type OptimizeConfigInput = z.input<typeof zOptimizeConfig>;
