// Headless Debian chromium driven by playwright-core, for the browser tests; absent chromium is reported loudly, never as a pass.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { chromium, type Browser } from 'playwright-core';
import { root } from './cli.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
/** Screenshots land here (CI keeps the folder as an artifact). */
export const artifacts = join(root, 'test-artifacts');

if (!hasChromium) {
  process.stderr.write(`\n*** ${CHROMIUM} is missing: the browser tests are SKIPPED, not passed. Install Debian's chromium (apt-get install chromium) to run them. ***\n\n`);
}

/** `test` when chromium is there, `test.skip` (listed as skipped by ava) when it is not. */
export const browserTest = hasChromium ? test : test.skip;

export async function launch(): Promise<Browser> {
  mkdirSync(artifacts, { recursive: true });
  // The flags keep chromium off the network this machine does not have (it would retry many connections).
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
