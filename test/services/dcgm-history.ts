// Writes a DCGM-exporter history in OpenMetrics for `promtool tsdb create-blocks-from openmetrics`, and says what it holds.
import { writeFileSync } from 'node:fs';

export const HISTORY_NODES = ['node1', 'node2'] as const;
export const HISTORY_GPUS_PER_NODE = 4;
export const HISTORY_MODEL = 'NVIDIA H100 80GB HBM3';
export const HISTORY_FB_TOTAL_MIB = 81559;
/** node2's exporter is down for this hour of the history (counted from its start): no samples at all. */
export const HISTORY_GAP_HOUR = 1;

export interface HistorySpan {
  startS: number;
  endS: number;
  stepS: number;
}

export function historyUuid(node: number, gpu: number): string {
  return `GPU-${node.toString(16).padStart(8, '0')}-0000-4000-8000-${gpu.toString(16).padStart(12, '0')}`;
}

/** GPU g of node h is busy (90–96 %) in alternate hours and idle (0–3 %) otherwise. */
export function historyUtilPct(span: HistorySpan, node: number, gpu: number, t: number): number {
  const busy = (Math.floor((t - span.startS) / 3600) + gpu + node) % 2 === 0;
  const tick = Math.floor(t / span.stepS);
  return busy ? 90 + (tick % 7) : tick % 4;
}

export function historyHasSample(span: HistorySpan, node: number, t: number): boolean {
  return !(node === 1 && Math.floor((t - span.startS) / 3600) === HISTORY_GAP_HOUR);
}

const METRICS: { name: string; help: string; value: (util: number) => number }[] = [
  { name: 'DCGM_FI_DEV_GPU_UTIL', help: 'GPU utilization (in %).', value: (u) => u },
  {
    name: 'DCGM_FI_DEV_FB_USED',
    help: 'Framebuffer memory used (in MiB).',
    value: (u) => Math.floor((HISTORY_FB_TOTAL_MIB * u) / 100),
  },
  {
    name: 'DCGM_FI_DEV_FB_FREE',
    help: 'Framebuffer memory free (in MiB).',
    value: (u) => HISTORY_FB_TOTAL_MIB - Math.floor((HISTORY_FB_TOTAL_MIB * u) / 100),
  },
  { name: 'DCGM_FI_DEV_POWER_USAGE', help: 'Power draw (in W).', value: (u) => 70 + 6 * u },
  { name: 'DCGM_FI_DEV_GPU_TEMP', help: 'GPU temperature (in C).', value: (u) => 30 + Math.floor(u / 3) },
  {
    name: 'DCGM_FI_PROF_SM_ACTIVE',
    help: 'Ratio of cycles an SM has at least 1 warp assigned.',
    value: (u) => u / 100,
  },
];

/** The span of a history ending at the last whole hour before `nowS`, so its windows align with hours. */
export function historySpan(nowS: number, hours: number, stepS: number): HistorySpan {
  const endS = Math.floor(nowS / 3600) * 3600 - stepS;
  return { startS: endS + stepS - hours * 3600, endS, stepS };
}

export function historyOpenMetrics(span: HistorySpan): string {
  const lines: string[] = [];
  for (const metric of METRICS) {
    lines.push(`# HELP ${metric.name} ${metric.help}`, `# TYPE ${metric.name} gauge`);
    HISTORY_NODES.forEach((host, h) => {
      for (let g = 0; g < HISTORY_GPUS_PER_NODE; g++) {
        const labels =
          `gpu="${g}",UUID="${historyUuid(h, g)}",device="nvidia${g}",modelName="${HISTORY_MODEL}",` +
          `Hostname="${host}",DCGM_FI_DRIVER_VERSION="535.129.03",instance="${host}:9400",job="dcgm"`;
        for (let t = span.startS; t <= span.endS; t += span.stepS) {
          if (!historyHasSample(span, h, t)) continue;
          lines.push(`${metric.name}{${labels}} ${metric.value(historyUtilPct(span, h, g, t))} ${t}`);
        }
      }
    });
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

/** Writes the history and OUT.range (PROM_HISTORY_START/END/STEP lines, what prom-up.sh puts in prom.env). */
export function writeHistory(file: string, span: HistorySpan): void {
  writeFileSync(file, historyOpenMetrics(span));
  writeFileSync(
    `${file}.range`,
    `PROM_HISTORY_START=${span.startS}\nPROM_HISTORY_END=${span.endS}\nPROM_HISTORY_STEP=${span.stepS}\n`,
  );
}
