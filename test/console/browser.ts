/**
 * Debian's chromium, driven by playwright-core (which downloads no browser). A machine without it fails the
 * console's tests with what to install, never skips them.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The review console's browser test needs Chromium at ${CHROMIUM_PATH} (Debian: apt-get install chromium; .ci/run installs it when it runs as root), or CHROMIUM_PATH pointing at one`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
}
