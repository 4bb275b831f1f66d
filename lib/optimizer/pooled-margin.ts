// Risk pooling for the first hour: classes that share a pool's instances need one margin on their sum, not a margin each.
import type { Forecast } from '../domain/forecast.ts';
import { parseRfc3339, toRfc3339 } from '../domain/time.ts';

export interface MemberEvidence {
  actual: readonly { hourStartMs: number; gpus: number }[];
  pastForecasts: readonly Forecast[];
}

/**
 * The evidence of the classes' sum: each hour's demand summed (a class carries its last known hour over a gap,
 * and counts 0 before its first), and each past forecast's first hour summed over the hours every class was
 * forecast. The hour-ahead plan read from it sizes the margin on the quantile of the sum's misses.
 */
export function summedEvidence(members: readonly MemberEvidence[]): MemberEvidence {
  const hours = [...new Set(members.flatMap((m) => m.actual.map((a) => a.hourStartMs)))].sort(
    (a, b) => a - b,
  );
  const total = new Map<number, number>(hours.map((h) => [h, 0]));
  for (const m of members) {
    const byHour = new Map(m.actual.map((a) => [a.hourStartMs, a.gpus]));
    let last = 0;
    for (const h of hours) {
      last = byHour.get(h) ?? last;
      total.set(h, total.get(h)! + last);
    }
  }
  const firstHours = members.map((m) => {
    const at = new Map<string, number>();
    for (const f of m.pastForecasts) {
      const step = f.steps.find((s) => parseRfc3339(s.at) === parseRfc3339(f.issuedAt));
      if (step) at.set(toRfc3339(parseRfc3339(f.issuedAt)), step.point);
    }
    return at;
  });
  const pastForecasts: Forecast[] = [];
  for (const issuedAt of firstHours[0]?.keys() ?? []) {
    if (!firstHours.every((m) => m.has(issuedAt))) continue;
    const point = firstHours.reduce((a, m) => a + m.get(issuedAt)!, 0);
    pastForecasts.push({
      classId: 'sum',
      issuedAt,
      stepSeconds: 3600,
      model: 'sum',
      scores: [],
      steps: [{ at: issuedAt, point, p50: point, p90: point, p99: point }],
    });
  }
  return { actual: hours.map((h) => ({ hourStartMs: h, gpus: total.get(h)! })), pastForecasts };
}

export interface MemberFirstHour {
  classId: string;
  /** The class's forecast for the hour, moved by its last miss: the centre its margin is added to. */
  centre: number;
  /** The class planned on its own: its centre plus its own margin. */
  alone: number;
}

/**
 * Each class's share of one pooled plan: its centre plus the pooled margin split in proportion to the margins
 * the classes would have held alone (the more a class misses, the more of the margin is for it). The shares
 * sum to the pooled plan.
 */
export function splitPooledPlan(
  members: readonly MemberFirstHour[],
  pooledPlan: number,
): Map<string, number> {
  const centres = members.reduce((a, m) => a + m.centre, 0);
  const margin = Math.max(0, pooledPlan - centres);
  const alone = members.map((m) => Math.max(0, m.alone - m.centre));
  const aloneSum = alone.reduce((a, b) => a + b, 0);
  return new Map(
    members.map((m, i) => {
      const share =
        aloneSum > 0 ? alone[i]! / aloneSum : centres > 0 ? m.centre / centres : 1 / members.length;
      return [m.classId, Math.max(0, m.centre) + margin * share];
    }),
  );
}
