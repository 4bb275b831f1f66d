import { describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../lib/domain/time.ts';
import { classFits } from '../../lib/sim/policies/class-fits.ts';

const START_MS = Date.UTC(2026, 0, 5);
const DAYS = 28;

/** A daily cycle around `level`, a little noise, from `fromDay` on (0 before: a team not yet started). */
function team(level: number, amplitude: number, seed: number, fromDay = 0): number[] {
  let state = seed;
  return Array.from({ length: DAYS * 24 }, (_, h) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    if (h < fromDay * 24) return 0;
    return Math.max(0, level + amplitude * Math.sin((2 * Math.PI * h) / 24) + (state / 2147483648 - 0.5) * 4);
  });
}

const input = (classes: { id: string; values: number[] }[], teams: 'reconciled' | 'independent') => ({
  startMs: START_MS,
  stepMs: HOUR_MS,
  horizon: 48,
  classes,
  teams,
});

describe('the fast model’s forecasts of its classes', () => {
  const classes = [
    { id: 'vision', values: team(40, 16, 7) },
    { id: 'speech', values: team(24, 12, 11) },
    { id: 'newcomer', values: team(10, 2, 13, DAYS - 5) },
  ];

  it('forecasts every class over the horizon, a young team as its share of the total', () => {
    const fits = classFits(input(classes, 'reconciled'));
    expect([...fits.keys()]).toEqual(['vision', 'speech', 'newcomer']);
    for (const fit of fits.values()) {
      expect(fit.point).toHaveLength(48);
      fit.point.forEach((v, k) => {
        expect(fit.p90[k]).toBeGreaterThanOrEqual(fit.p50[k]!);
        expect(v).toBeGreaterThanOrEqual(0);
      });
    }
    expect(fits.get('newcomer')!.model).toBe('share-of-total');
    const mean = fits.get('newcomer')!.point.reduce((a, b) => a + b, 0) / 48;
    expect(mean).toBeGreaterThan(6);
    expect(mean).toBeLessThan(14);
    // Each established team near its own level.
    const level = (id: string) => fits.get(id)!.point.reduce((a, b) => a + b, 0) / 48;
    expect(level('vision')).toBeGreaterThan(34);
    expect(level('vision')).toBeLessThan(46);
  });

  it('forecasts each class alone when asked, and one class alone always', () => {
    const alone = classFits(input(classes, 'independent'));
    expect(alone.get('newcomer')!.model).not.toBe('share-of-total');
    const single = classFits(input([classes[0]!], 'reconciled'));
    expect(single.get('vision')!.model).not.toBe('share-of-total');
    expect(single.get('vision')!.point).toEqual(
      classFits(input([classes[0]!], 'independent')).get('vision')!.point,
    );
  });

  it('plans a class with less than a day of history at its peak so far', () => {
    const fits = classFits(input([{ id: 'fresh', values: [3, 9, 5] }], 'independent'));
    expect(fits.get('fresh')!.model).toBe('peak-so-far');
    expect(fits.get('fresh')!.p90.every((v) => v === 9)).toBe(true);
  });
});
