// Tests that need a Debian service: skipped with the package to install when it is absent, failed under CI=true.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe } from 'vitest';

/** The path of an executable on PATH, or undefined. */
export function findBinary(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export type ServiceCheck = { available: true; path: string } | { available: false; reason: string };

/**
 * Whether `binary` is installed. Absent under CI=true is an error (CI installs every package .ci/run
 * lists); absent elsewhere is a skip whose reason names the Debian package.
 */
export function requireService(binary: string, debianPackage: string): ServiceCheck {
  const path = findBinary(binary);
  if (path) return { available: true, path };
  const reason = `${binary} not found: install the Debian package ${debianPackage} (apt-get install ${debianPackage})`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
  return { available: false, reason };
}

/** A describe block that runs only when `binary` is installed; see requireService for when it skips. */
export function describeWithService(
  binary: string,
  debianPackage: string,
  name: string,
  body: () => void,
): void {
  const check = requireService(binary, debianPackage);
  if (check.available) describe(name, body);
  else describe.skip(`${name} (skipped: ${check.reason})`, body);
}
