// Headless Debian chromium driven by playwright-core, for the browser tests; absent chromium is reported loudly, never as a pass.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
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

let shared: Promise<Browser> | null = null;

/** What a test uses of a browser: pages in contexts of their own, closed together. */
export interface TestBrowser {
  newPage(options?: BrowserContextOptions): Promise<Page>;
  /** Closes this test's pages and contexts; the chromium process is shared by the file's tests and ends after them. */
  close(): Promise<void>;
}

/** One chromium per test file (starting it costs more than most checks), each test in contexts of its own. */
export async function launch(): Promise<TestBrowser> {
  mkdirSync(artifacts, { recursive: true });
  // The flags keep chromium off the network this machine does not have (it would retry many connections).
  shared ??= chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const browser = await shared;
  const contexts: BrowserContext[] = [];
  return {
    newPage: async (options) => {
      const context = await browser.newContext(options);
      contexts.push(context);
      return context.newPage();
    },
    close: async () => { await Promise.all(contexts.map((c) => c.close())); },
  };
}

test.after.always('close the shared chromium', async () => {
  if (shared !== null) await (await shared).close();
});
