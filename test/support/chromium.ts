import { Browser, chromium } from 'playwright-core';
import { aptInstall, lookup } from './etcd-binary';

/**
 * Debian's chromium (CHROMIUM_BIN, then PATH), installed with apt-get when missing and this is a
 * root shell (as etcd is); otherwise one line that says how to install it. playwright-core drives
 * it: no browser is downloaded.
 */
export function findChromium(): string {
  const hint = 'chromium is not installed: run `apt-get install -y chromium` (Debian/Ubuntu) or set CHROMIUM_BIN to a Chromium binary';
  const fromEnv = process.env.CHROMIUM_BIN;
  if (fromEnv) return fromEnv;
  let path = lookup('chromium') ?? lookup('chromium-browser');
  if (!path) {
    aptInstall(['chromium'], hint);
    path = lookup('chromium');
    if (!path) throw new Error(hint);
  }
  return path;
}

/** A headless Chromium (no sandbox: tests run as root in CI). Close it in afterAll. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}
