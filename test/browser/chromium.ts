// Headless Chromium for the layout tests: Debian's /usr/bin/chromium through playwright-core, a fresh profile each launch.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Nothing of an earlier run is reused, and the browser reaches for no network of its own. */
export async function launchChromium(profileDir?: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir ?? (await mkdtemp(join(tmpdir(), 'gpu-chromium-'))), {
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
