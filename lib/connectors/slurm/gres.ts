// Slurm's text fields: GRES strings ("gpu:h100:4(S:0-3)"), TRES requests ("gres/gpu:8") and host lists ("gpu[1-2,5]").

export interface GpuGres {
  /** The GRES type ("h100"), or undefined for an untyped "gpu:4". */
  type: string | undefined;
  count: number;
}

function countOf(text: string): number | undefined {
  const m = /^(\d+)([KMG]?)$/i.exec(text);
  if (!m) return undefined;
  const scale = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase()] ?? 1;
  return Number(m[1]) * scale;
}

/**
 * The GPU entries of a node's GRES or GRES_USED string: "gpu:h100:2,gpu:h200:4", "gpu:h100:1(IDX:0)",
 * "gpu:a100:4(S:0-3),pfsdir:scratch:1", "gpu:0". Non-GPU GRES and "(null)"/"N/A" are left out.
 */
export function parseGpuGres(text: string | null | undefined): GpuGres[] {
  if (!text) return [];
  const out: GpuGres[] = [];
  // Commas also appear inside "(IDX:0,2)"; split only at top level.
  let depth = 0;
  let part = '';
  const parts: string[] = [];
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      parts.push(part);
      part = '';
    } else part += ch;
  }
  parts.push(part);
  for (const raw of parts) {
    const entry = raw.trim().replace(/\(.*\)$/, '');
    const fields = entry.split(':');
    if (fields[0] !== 'gpu') continue;
    if (fields.length === 2) {
      const count = countOf(fields[1]!);
      if (count !== undefined) out.push({ type: undefined, count });
    } else if (fields.length >= 3) {
      const count = countOf(fields[fields.length - 1]!);
      if (count !== undefined) out.push({ type: fields.slice(1, -1).join(':'), count });
    }
  }
  return out;
}

export function gpuTotal(entries: readonly GpuGres[]): number {
  return entries.reduce((sum, e) => sum + e.count, 0);
}

/**
 * GPUs in a TRES request or allocation string: "gres/gpu:8", "gres:gpu:h100:2" (22.05), "gres/gpu=4",
 * "cpu=2,mem=1G,gres/gpu:h100=4". Typed and untyped entries of the same request both name the same GPUs,
 * so the untyped total wins when present.
 */
export function gpusInTres(text: string | null | undefined): number {
  if (!text) return 0;
  let untyped: number | undefined;
  let typed = 0;
  for (const raw of text.split(',')) {
    const entry = raw.trim().replace(/^gres[/:]/, '');
    const m = /^gpu(?::([^=:]+))?[:=](\d+)$/.exec(entry);
    if (!m) continue;
    if (m[1] === undefined) untyped = (untyped ?? 0) + Number(m[2]);
    else typed += Number(m[2]);
  }
  return untyped ?? typed;
}

/** Expands a Slurm host list: "gpu[1-2,05-06],cn3" → gpu1, gpu2, gpu05, gpu06, cn3. */
export function expandHostlist(text: string | null | undefined): string[] {
  if (!text) return [];
  const out: string[] = [];
  const re = /([^,[\]]+)(?:\[([^\]]+)\])?([^,[\]]*)/g;
  for (const m of text.matchAll(re)) {
    const [, prefix = '', ranges, suffix = ''] = m;
    if (!prefix && !ranges) continue;
    if (!ranges) {
      out.push(prefix + suffix);
      continue;
    }
    for (const range of ranges.split(',')) {
      const [lo, hi = lo] = range.split('-') as [string, string?];
      const width = lo.length;
      for (let i = Number(lo); i <= Number(hi); i++)
        out.push(`${prefix}${String(i).padStart(width, '0')}${suffix}`);
    }
  }
  return out.filter((h) => h !== '');
}
