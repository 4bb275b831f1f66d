// Who a GPU's work belongs to: the scheduler's job, its user, project and team.
import { z } from 'zod';
import { zId } from './fields.ts';

export const zLabels = z.object({
  jobId: zId.optional(),
  user: zId.optional(),
  project: zId.optional(),
  team: zId.optional(),
});
export type Labels = z.infer<typeof zLabels>;

/** The names OpenCost gives the cost no job claims. */
export const IDLE_OWNER = '__idle__';
export const SHARED_OWNER = '__shared__';
export const UNALLOCATED_OWNER = '__unallocated__';
