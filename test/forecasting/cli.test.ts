import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forecastCommand } from '../../lib/cli/commands/forecast.ts';
import type { CommandIo } from '../../lib/cli/command.ts';
import { zForecast } from '../../lib/domain/forecast.ts';

const ROOT = join(import.meta.dirname, '../..');

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const value: CommandIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    interactive: false,
    env: {},
    cwd: ROOT,
  };
  return { value, out, err };
}

describe('gpu-optimizer forecast', () => {
  it('prints a Forecast with the scores of every model as JSON', async () => {
    const { value, out } = io();
    const code = await forecastCommand.run(
      {
        flags: { trace: 'data/research/alibaba-dlrm/alibaba-dlrm-5min.csv', horizon: '6', json: true },
        positionals: [],
      },
      value,
    );
    expect(code).toBe(0);
    const forecast = zForecast.parse(JSON.parse(out.join('')));
    expect(forecast.steps).toHaveLength(6);
    expect(forecast.scores[0]!.model).toBe(forecast.model);
    expect(forecast.scores.length).toBeGreaterThanOrEqual(5);
  });

  it('reports a malformed trace by line and column and exits 1', async () => {
    const { value, err } = io();
    const code = await forecastCommand.run(
      { flags: { trace: 'test/fixtures/trace/usage-bad-number.csv' }, positionals: [] },
      value,
    );
    expect(code).toBe(1);
    expect(err.join('')).toContain('usage-bad-number.csv:3:2 (gpus_busy)');
  });
});
