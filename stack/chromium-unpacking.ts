/**
 * The browser tests' Chromium, unpacked from the npm package @sparticuz/chromium (a dev dependency), which
 * ships a headless Chromium brotli-compressed with the few libraries it needs that a bare machine lacks
 * (NSS, NSPR, expat: al2023.tar.br).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { repoRoot } from './processes.js';
import { runInstallCommand } from './tool-install-command.js';

/** Bumped when unpackChromium changes what it makes, so the next install unpacks again. */
export const CHROMIUM_UNPACKING = 4;

/**
 * The package's directory in node_modules and version, or undefined when it is not installed
 * (`npm install --omit=dev`).
 */
export async function chromiumPackage(): Promise<{ dir: string; version: string } | undefined> {
  const dir = path.join(repoRoot, 'node_modules', '@sparticuz', 'chromium');
  try {
    const { version } = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8')) as { version: string };
    return { dir, version };
  } catch {
    return undefined;
  }
}

/**
 * Unpacks the package's Chromium into `outDir`: `chromium`, its libraries in `lib/`, and a font (Open Sans,
 * in `fonts/`) with a `fonts.conf` that also reads the machine's fonts, so pages render text on a machine
 * that has none.
 */
export async function unpackChromium(packageDir: string, outDir: string): Promise<void> {
  const executable = path.join(outDir, 'chromium');
  await pipeline(createReadStream(path.join(packageDir, 'bin', 'chromium.br')), createBrotliDecompress(), createWriteStream(executable));
  await fs.chmod(executable, 0o755);
  for (const archive of ['al2023', 'fonts']) {
    const tar = path.join(outDir, `${archive}.tar`);
    await pipeline(createReadStream(path.join(packageDir, 'bin', `${archive}.tar.br`)), createBrotliDecompress(), createWriteStream(tar));
    await runInstallCommand('tar', ['-xf', tar, '-C', outDir], { hint: `tar could not unpack ${archive}.tar.br of ${packageDir}.` });
    await fs.rm(tar);
  }
  // The package's fonts.conf names Lambda's paths. Ours reads the machine's fonts and settings where it has
  // them, and this font, which also stands in for sans-serif where nothing else does.
  await fs.writeFile(
    path.join(outDir, 'fonts.conf'),
    [
      '<?xml version="1.0"?>',
      '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
      '<fontconfig>',
      '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
      // Relative to this file: the staging dir it is written in is renamed into place.
      '  <dir prefix="relative">fonts</dir>',
      '  <cachedir prefix="relative">fonts-cache</cachedir>',
      '  <alias><family>sans-serif</family><default><family>Open Sans</family></default></alias>',
      '</fontconfig>',
      '',
    ].join('\n'),
  );
}
