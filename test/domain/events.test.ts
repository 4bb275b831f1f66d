import { describe, expect, it } from 'vitest';
import {
  EVENT_TYPES,
  makeEvent,
  parseWireEvent,
  SOURCES,
  toWire,
  tryToWire,
} from '../../lib/domain/events.ts';
import { sampleBatch } from '../support/samples.ts';

describe('events', () => {
  it('registers every event of the design under its source', () => {
    expect(Object.keys(EVENT_TYPES).sort()).toEqual(
      [
        'Budget Alert',
        'Capacity Plan Created',
        'Capacity Snapshot',
        'Demand Anomaly',
        'GPU Utilization Batch',
        'Idle Node Marked',
        'Node Released',
        'Run Failed',
        'Spot Interruption Handled',
      ].sort(),
    );
    expect(EVENT_TYPES['GPU Utilization Batch'].source).toBe(SOURCES.agent);
    expect(EVENT_TYPES['Capacity Snapshot'].source).toBe(SOURCES.connector);
  });

  it('round-trips an event through its wire form, money as 6-place strings', () => {
    const event = makeEvent('Idle Node Marked', {
      schemaVersion: '1',
      nodeId: 'i-1',
      poolId: 'p',
      markedAt: '2026-01-05T10:00:00Z',
      idleSince: '2026-01-05T09:00:00Z',
      graceDeadline: '2026-01-05T10:30:00Z',
      reason: 'all GPUs under 5 % for 60 min',
      mode: 'recommend',
      hourlyCostUsd: 32_772_600n,
    });
    const wire = JSON.parse(JSON.stringify(toWire(event)));
    expect(wire.detail.hourlyCostUsd).toBe('32.772600');
    const parsed = parseWireEvent(wire);
    expect(parsed).toEqual({ ok: true, event });
  });

  it('parses an agent batch and names the exact field that is wrong', () => {
    const good = { source: SOURCES.agent, detailType: 'GPU Utilization Batch', detail: sampleBatch() };
    expect(parseWireEvent(good).ok).toBe(true);
    const bad = structuredClone(good);
    (bad.detail.gpus[0]!.readings[0] as { utilizationPct: unknown }).utilizationPct = 140;
    const result = parseWireEvent(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/^detail\.gpus\[0\]\.readings\[0\]\.utilizationPct: /);
  });

  it('refuses unknown detail-types, a wrong source, and an unknown schema version', () => {
    expect(parseWireEvent({ source: SOURCES.agent, detailType: 'Nope', detail: {} })).toEqual({
      ok: false,
      error: 'unknown detail-type "Nope"',
    });
    const wrongSource = parseWireEvent({
      source: 'evil',
      detailType: 'GPU Utilization Batch',
      detail: sampleBatch(),
    });
    expect(wrongSource.ok).toBe(false);
    const v2 = parseWireEvent({
      source: SOURCES.agent,
      detailType: 'GPU Utilization Batch',
      detail: { ...sampleBatch(), schemaVersion: '2' },
    });
    expect(v2.ok || v2.error).toMatch(/schemaVersion/);
  });

  it('tells a producer which field of an event it built is invalid', () => {
    const bad = makeEvent('Run Failed', { schemaVersion: '1', run: 'x', at: 'now', error: 'e' });
    expect(tryToWire(bad)).toEqual({ ok: false, error: expect.stringMatching(/^detail\.at: /) });
  });
});

describe('Run Failed events', () => {
  it('never carry the credentials of a URL quoted in the failure', () => {
    const event = makeEvent('Run Failed', {
      schemaVersion: '1',
      run: 'poll-connectors',
      at: '2026-03-02T10:00:00Z',
      error: 'GET https://admin:hunter2@prom.example.internal/api/v1/query?token=abc failed: 503',
    });
    const text = JSON.stringify(event);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('token=abc');
    expect(text).toContain('prom.example.internal');
  });
});
