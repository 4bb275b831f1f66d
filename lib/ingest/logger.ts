// Structured logging: one JSON object a line, so CloudWatch Logs Insights and journald can filter on fields.
import type { Logger, LogLevel } from '../domain/ports.ts';

/** Writes `{"level","message","time",…fields}` lines through `write`. */
export function jsonLogger(write: (line: string) => void, now: () => number = Date.now): Logger {
  return {
    log(level, message, fields = {}) {
      write(`${JSON.stringify({ level, message, time: new Date(now()).toISOString(), ...fields })}\n`);
    },
  };
}

/** Keeps every line, for tests that assert what was logged. */
export function memoryLogger(): Logger & {
  lines: { level: LogLevel; message: string; fields: Record<string, unknown> }[];
} {
  const lines: { level: LogLevel; message: string; fields: Record<string, unknown> }[] = [];
  return { lines, log: (level, message, fields = {}) => void lines.push({ level, message, fields }) };
}
