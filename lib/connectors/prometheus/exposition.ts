// Reads a Prometheus text exposition page (what dcgm-exporter serves on /metrics): samples, and the lines it could not read.
export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: string;
}

export interface ExpositionPage {
  samples: ExpositionSample[];
  /** Lines that are neither comments, blank, nor samples, with their 1-based number. */
  rejected: { line: number; text: string }[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (!m) return undefined;
    labels[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  return labels;
}

export function parseExposition(text: string): ExpositionPage {
  const page: ExpositionPage = { samples: [], rejected: [] };
  text.split('\n').forEach((raw, i) => {
    // Leading blanks are tolerated: pages pasted into documentation carry their indentation.
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = SAMPLE.exec(line);
    const labels = m ? parseLabels(m[2] ?? '') : undefined;
    if (!m || !labels) page.rejected.push({ line: i + 1, text: raw });
    else page.samples.push({ name: m[1]!, labels, value: m[3]! });
  });
  return page;
}
