// Someone logged in recently: a person may be about to use the GPUs, so the node stays.
import { parseRfc3339, toRfc3339 } from '../../../domain/time.ts';
import type { IdleRule } from '../types.ts';

export const interactiveLoginRule: IdleRule = {
  name: 'interactive-login',
  evaluate({ node, windows, thresholds, nowMs }) {
    const logins = [node.lastLoginAt, ...windows.map((w) => w.lastLoginAt)]
      .filter((t): t is string => typeof t === 'string')
      .map(parseRfc3339);
    const lastMs = logins.length ? Math.max(...logins) : undefined;
    if (lastMs !== undefined && nowMs - lastMs < thresholds.loginGraceMinutes * 60_000) {
      return { verdict: 'busy', reason: `interactive login at ${toRfc3339(lastMs)}` };
    }
    return { verdict: 'idle', reason: `no login within ${thresholds.loginGraceMinutes} min` };
  },
};
