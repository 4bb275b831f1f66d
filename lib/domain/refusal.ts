// Why the actuator did not carry out an action: one typed reason per guard, carried on the action and in the ledger.
import { z } from 'zod';

/**
 * Every reason an action can be refused, in the order of the guard chain (lib/actuator/guards.ts), then the
 * reasons the actuator itself or the provider gives. A new guard adds its code here.
 */
export const REFUSAL_CODES = [
  'kill-switch',
  'not-managed',
  'protected',
  'running-job',
  'interactive-login',
  'no-gpu-evidence',
  'reserved',
  'run-cap',
  'pool-cap',
  'budget',
  /** A release whose capacity a launch of the same run was to replace, and that launch does not serve yet. */
  'waits-for-launch',
  'not-live',
  'no-provider',
  'provider-refused',
] as const;
export const zRefusalCode = z.enum(REFUSAL_CODES);
export type RefusalCode = z.infer<typeof zRefusalCode>;

export const zRefusal = z.object({
  code: zRefusalCode,
  /** What a person reads: the facts behind the code (which job, which cap, what the provider said). */
  detail: z.string().min(1).max(1024),
});
export type Refusal = z.infer<typeof zRefusal>;

export function refusal(code: RefusalCode, detail: string): Refusal {
  return { code, detail: detail.slice(0, 1024) };
}

/** One line for logs and plain text: `protected: tagged gpu-optimizer:protected=true`. */
export function describeRefusal(r: Refusal): string {
  return `${r.code}: ${r.detail}`;
}
