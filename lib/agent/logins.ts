// When a person last used the node interactively, from `last` (wtmp) or `who` (utmp) output.
import { parseRfc3339, toRfc3339 } from '../domain/time.ts';

/** A terminal a person types at: ssh/pty sessions, consoles, X displays; not reboots or cron. */
const INTERACTIVE_LINE = /^(pts\/\d+|tty\w*|console|:\d+(\.\d+)?)$/;

const ISO = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:,\\d+|\\.\\d+)?(?:Z|[+-]\\d{2}:?\\d{2})';

function isoToMs(text: string): number {
  // util-linux prints "+0000" and sometimes a comma for the fraction; RFC 3339 wants "+00:00" and a dot.
  return parseRfc3339(text.replace(',', '.').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

/**
 * Parses `last --time-format iso` and returns the latest moment someone was logged in: `nowMs` when a
 * session is still open, else the latest logout (or login, when the end is unknown: crash, gone).
 */
export function lastLoginFromLast(text: string, nowMs: number): string | null {
  let latest: number | null = null;
  const line = new RegExp(
    `^(\\S+)\\s+(\\S+)\\s+.*?(${ISO})\\s+(?:-\\s+(${ISO})|(still logged in)|-\\s+\\S+)?`,
  );
  for (const raw of text.split(/\r?\n/)) {
    const m = line.exec(raw);
    if (!m) continue;
    const [, user, tty, start, end, still] = m;
    if (user === 'reboot' || user === 'shutdown' || user === 'wtmp' || !INTERACTIVE_LINE.test(tty!)) continue;
    const at = still ? nowMs : end ? isoToMs(end) : isoToMs(start!);
    latest = latest === null ? at : Math.max(latest, at);
  }
  return latest === null ? null : toRfc3339(Math.min(latest, nowMs));
}

/** Parses `who` output: anyone on an interactive terminal now means someone is logged in at `nowMs`. */
export function lastLoginFromWho(text: string, nowMs: number): string | null {
  for (const raw of text.split(/\r?\n/)) {
    const [user, tty] = raw.trim().split(/\s+/);
    if (user && tty && INTERACTIVE_LINE.test(tty)) return toRfc3339(nowMs);
  }
  return null;
}

/** Where the agent learns the last login; pluggable so tests and other systems can supply their own. */
export interface LoginSource {
  lastLoginAt(nowMs: number): Promise<string | null>;
}

export const noLogins: LoginSource = { lastLoginAt: async () => null };
