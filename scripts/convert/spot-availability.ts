// Converts the MIT-licensed Parcae and Bamboo spot traces into hourly available fractions for the simulated cloud.
// Usage: npx tsx scripts/convert/spot-availability.ts <raw spot-availability-parcae-bamboo dir> data/spot
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

interface RawTrace {
  name: string;
  file: string;
  /** Seconds per unit of the file's time column. */
  secondsPerUnit: number;
  /** Instances the fleet asked for: the fraction's denominator. */
  requested: number;
}

// Parcae asked for 32 instances (its README); Bamboo's fleet targets are not stated, so the most it ever held is used.
const TRACES: RawTrace[] = [
  { name: 'parcae-p3', file: 'parcae_aws_p3_32node_trace.csv', secondsPerUnit: 0.001, requested: 32 },
  {
    name: 'bamboo-p2',
    file: 'bamboo_aws-spot-instances-p2-xlarge-2020-11-20-to-2020-11-23.csv',
    secondsPerUnit: 3600,
    requested: 0,
  },
  {
    name: 'bamboo-p2-1e',
    file: 'bamboo_aws-spot-instances-p2-xlarge-us-east-1e-2020-11-23-1700-to-2020-11-24-0700.csv',
    secondsPerUnit: 1,
    requested: 0,
  },
  {
    name: 'bamboo-g4dn-1c',
    file: 'bamboo_aws-spot-instances-g4dn-xlarge-us-east-1c-2020-11-20-1930-to-2020-11-21-2200.csv',
    secondsPerUnit: 1,
    requested: 0,
  },
  {
    name: 'bamboo-g4dn-1d',
    file: 'bamboo_aws-spot-instances-g4dn-xlarge-us-east-1d-2020-11-23-1730-to-2020-11-24-1530.csv',
    secondsPerUnit: 1,
    requested: 0,
  },
];

/** Time-weighted mean of a step function over each whole hour it covers. */
export function hourlyMeans(steps: { atSeconds: number; value: number }[]): number[] {
  const end = steps[steps.length - 1]!.atSeconds;
  const hours = Math.floor(end / 3600);
  const out: number[] = [];
  for (let h = 0; h < hours; h++) {
    const from = h * 3600;
    const to = from + 3600;
    let area = 0;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      const next = steps[i + 1]?.atSeconds ?? end;
      const a = Math.max(from, s.atSeconds);
      const b = Math.min(to, next);
      if (b > a) area += s.value * (b - a);
    }
    out.push(area / 3600);
  }
  return out;
}

async function main() {
  const [rawDir, outDir] = process.argv.slice(2);
  if (!rawDir || !outDir) {
    console.error('usage: npx tsx scripts/convert/spot-availability.ts <raw dir> <out dir>');
    process.exit(2);
  }
  const lines = ['trace,hour,available_fraction'];
  for (const t of TRACES) {
    const steps = (await readFile(join(rawDir, t.file), 'utf8'))
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => {
        const [time, value] = l.split(',');
        return { atSeconds: Number(time) * t.secondsPerUnit, value: Number(value) };
      });
    const requested = t.requested || Math.max(...steps.map((s) => s.value));
    hourlyMeans(steps).forEach((mean, hour) =>
      lines.push(`${t.name},${hour},${(mean / requested).toFixed(4)}`),
    );
  }
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'availability-hourly.csv'), `${lines.join('\n')}\n`);
  console.log(`wrote ${lines.length - 1} hourly points`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
