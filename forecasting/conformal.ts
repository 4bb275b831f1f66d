// Adaptive conformal calibration: the quantile a band is drawn at moves with the misses it has seen, so it covers what it says.

/**
 * Adaptive conformal inference (Gibbs & Candès, 2021): after each forecast is scored, the miss level α moves by
 * γ × (target − observed misses). Bands drawn at 1 − α then cover the target share of hours over time, even
 * when the residuals of the backtest are too few or the series has changed since.
 */
export interface AdaptiveLevel {
  /** The quantile to draw the band at now. */
  readonly level: number;
  /** Scores the last band: the share of its hours above it (0–1). */
  observe(missShare: number): void;
}

export interface AdaptiveLevelOptions {
  /** The share of hours the band may miss: 0.10 for a p90 band. */
  targetMissShare?: number;
  /** How far one scored forecast moves the level; larger adapts faster and wobbles more. */
  stepSize?: number;
  /** Bounds the level: a long run of misses must not push it to a band no data can draw. */
  minLevel?: number;
  maxLevel?: number;
  /** Where to start: the level a stored calibration reached (online runs); the target's level by default. */
  initialLevel?: number;
}

/** γ = 0.05 per daily forecast: a week of full misses moves a p90 band to about p99. */
const DEFAULT_STEP_SIZE = 0.05;

export function adaptiveLevel(options: AdaptiveLevelOptions = {}): AdaptiveLevel {
  const target = options.targetMissShare ?? 0.1;
  const step = options.stepSize ?? DEFAULT_STEP_SIZE;
  const min = options.minLevel ?? 0.5;
  const max = options.maxLevel ?? 0.995;
  let alpha = Math.min(1 - min, Math.max(1 - max, 1 - (options.initialLevel ?? 1 - target)));
  return {
    get level() {
      return Math.min(max, Math.max(min, 1 - alpha));
    },
    observe(missShare) {
      if (!(missShare >= 0 && missShare <= 1)) return;
      alpha += step * (target - missShare);
      // Keep α where the level's bounds put it, so a long streak does not take as long to undo.
      alpha = Math.min(1 - min, Math.max(1 - max, alpha));
    },
  };
}

/** The share of known hours above the band. */
export function missShare(actual: readonly number[], upper: readonly number[]): number {
  let known = 0;
  let missed = 0;
  actual.forEach((a, k) => {
    if (!Number.isFinite(a) || upper[k] === undefined) return;
    known++;
    if (a > upper[k]!) missed++;
  });
  return known === 0 ? Number.NaN : missed / known;
}
