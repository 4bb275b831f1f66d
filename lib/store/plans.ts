// Plans: written once under their planId, listed by creation time through the time index.
import { zPlan } from '../domain/plan.ts';
import type { PlanRepository } from '../domain/ports.ts';
import { parseRfc3339 } from '../domain/time.ts';
import { encodeEntity } from './codec.ts';
import { decodeItem, getItem, packData, putIfAbsent, queryTimeIndex, type TableContext } from './io.ts';
import {
  PARTITION_KEY,
  SORT_KEY,
  TIME_INDEX_PARTITION_KEY,
  TIME_INDEX_SORT_KEY,
  sortableMs,
} from './table.ts';

/** One index partition for all plans: a plan per run is a few thousand a year, far below a partition's limits. */
const PLANS_INDEX_PK = 'PLANS';
const planKey = (planId: string) => ({ [PARTITION_KEY]: `PLAN#${planId}`, [SORT_KEY]: 'PLAN' });

export function createPlanRepository(ctx: TableContext): PlanRepository {
  return {
    async create(plan) {
      const data = encodeEntity(zPlan, plan, `plan ${plan.planId}`);
      return putIfAbsent(ctx, {
        ...planKey(plan.planId),
        [TIME_INDEX_PARTITION_KEY]: PLANS_INDEX_PK,
        [TIME_INDEX_SORT_KEY]: `${sortableMs(parseRfc3339(plan.createdAt))}#${plan.planId}`,
        kind: 'plan',
        ...packData(data),
      });
    },

    async get(planId) {
      const item = await getItem(ctx, planKey(planId));
      return item && decodeItem(zPlan, item);
    },

    async between(fromMs, toMs) {
      const items = await queryTimeIndex(ctx, PLANS_INDEX_PK, fromMs, toMs);
      return items.map((item) => decodeItem(zPlan, item));
    },
  };
}
