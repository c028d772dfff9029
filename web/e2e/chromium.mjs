// Debian's Chromium driven by playwright-core (no browser download), shared by the browser runs
// in this folder: one set of flags (autoplay without a gesture, muted, no background traffic)
// and a throwaway profile that is removed on close.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required', '--mute-audio',
];

/** A persistent context in a fresh profile, and `close` that shuts it and deletes the profile. */
export async function launch(viewport) {
  const profileDir = mkdtempSync(join(tmpdir(), 'viewra-chromium-'));
  const browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport,
  });
  const close = async () => {
    await browser.close();
    rmSync(profileDir, { recursive: true, force: true });
  };
  return { browser, close };
}
