// The one interface every demand model implements: fit on a regular series, predict the next h steps.

/** A complete regular series (gaps already filled): the level at `startMs + i × stepMs` is `values[i]`. */
export interface FitInput {
  startMs: number;
  stepMs: number;
  values: readonly number[];
}

/** A fitted model: point forecasts for the h steps after the last fitted value. */
export interface FittedModel {
  predict(horizon: number): number[];
}

/**
 * A model by name. Quantiles are not the model's business: the engine (forecasting/engine.ts) puts bands on any
 * model from its own out-of-sample residuals, so every model's bands are measured the same way.
 */
export interface Model {
  readonly name: string;
  /** Fewest values the model needs; with fewer the engine skips it. */
  readonly minLength: (stepMs: number) => number;
  fit(input: FitInput): FittedModel;
}
