/**
 * Headless Chromium for the browser tests, driven by playwright-core: the Chromium that `npm install` unpacked
 * from @sparticuz/chromium into the tools cache (stack/tools.ts), with its own libraries on the library path.
 * Screenshots go to test-output/screenshots/.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from '../../stack/processes.js';
import { ensureTools } from '../../stack/tools.js';

export const SCREENSHOT_DIR = path.join(repoRoot, 'test-output', 'screenshots');

export async function launchChromium(): Promise<Browser> {
  const { chromium: installed } = await ensureTools(() => {});
  if (!installed) throw new Error('Chromium is not installed: the browser tests need the dev dependencies (npm install without --omit=dev).');
  return chromium.launch({
    executablePath: installed.executable,
    env: { ...process.env, LD_LIBRARY_PATH: [installed.libraryDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'), FONTCONFIG_FILE: installed.fontConfig },
    // As root in a container there is no sandbox to have; the rest keeps Chromium off the (closed) network.
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Saves the page as test-output/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await fs.mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
