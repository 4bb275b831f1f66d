// zod schemas of the Prometheus HTTP API answers the connector reads (query_range matrices and errors).
import { z } from 'zod';

export const zPromMatrixSeries = z.object({
  metric: z.record(z.string(), z.string()),
  /** [unix seconds, value as text: "93", "NaN", "9223372036854775794"] */
  values: z.array(z.tuple([z.number(), z.string()])),
});
export type PromMatrixSeries = z.output<typeof zPromMatrixSeries>;

export const zPromRangeResponse = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.object({ resultType: z.literal('matrix'), result: z.array(zPromMatrixSeries) }),
    warnings: z.array(z.string()).optional(),
  }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);
