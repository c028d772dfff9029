// The end-to-end run in Debian's Chromium (playwright-core drives /usr/bin/chromium; no browser
// download) against a running stack. tests/integration/test_web_e2e.py starts the stack and runs
// this with a JSON plan in VIEWRA_E2E:
//   { api, prefix, uploads: [{ name, url, file }], screenshots }
// It creates a library in the UI, uploads the files (presigned PUTs) and waits for both to appear
// without a reload, plays the first (DirectPlay) and the second (HLS) past 3 s, stops, finds the
// first under "Continue watching", saves desktop and mobile screenshots, and runs axe-core.
// It prints one JSON line of results and exits non-zero on the first failed step.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { launch } from './chromium.mjs';

const plan = JSON.parse(process.env.VIEWRA_E2E ?? '{}');
const LIBRARY = plan.name ?? 'E2E Movies';
const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const SIZES = { desktop: { width: 1440, height: 900 }, mobile: { width: 390, height: 844 } };
const results = { steps: [], axe: {}, overflow: {}, methods: {} };
const t0 = Date.now();
const step = (name) => {
  results.steps.push({ name, at_ms: Date.now() - t0 });
  console.error(`[e2e ${((Date.now() - t0) / 1000).toFixed(1)}s] ${name}`);
};

mkdirSync(plan.screenshots, { recursive: true });
const { browser, close } = await launch(SIZES.desktop);
const consoleErrors = [];

async function check(page, name, size) {
  await page.screenshot({ path: join(plan.screenshots, `${name}-${size}.png`), fullPage: false });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  results.overflow[`${name}-${size}`] = overflow;
  if (overflow > 0) throw new Error(`${name} at ${size} scrolls sideways by ${overflow}px`);
  await page.addScriptTag({ path: AXE });
  const axe = await page.evaluate(async () => {
    const r = await globalThis.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
  });
  results.axe[`${name}-${size}`] = axe;
  const serious = axe.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (serious.length) throw new Error(`axe on ${name} at ${size}: ${JSON.stringify(serious)}`);
}

async function playPast(page, seconds, timeout) {
  await page.waitForFunction(
    (s) => {
      const m = document.querySelector('.player-media');
      return m && m.currentTime > s;
    },
    seconds,
    { timeout, polling: 250 },
  );
  return page.evaluate(() => ({
    currentTime: document.querySelector('.player-media').currentTime,
    method: document.querySelector('[data-testid="play-method"]')?.textContent,
    state: document.querySelector('.player')?.getAttribute('data-state'),
  }));
}

try {
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.setDefaultTimeout(20_000);

  step('login');
  await page.goto(plan.api + '/');
  // Signed out, the app shows its sign-in form (every API route but /health answers 401).
  const signIn = page.getByRole('form', { name: 'Sign in' });
  await signIn.waitFor();
  await page.screenshot({ path: join(plan.screenshots, 'login-desktop.png') });
  await signIn.getByLabel('User name').fill(plan.user.name);
  await signIn.getByLabel('Password').fill(plan.user.password);
  await signIn.getByRole('button', { name: 'Sign in' }).click();

  step('home');
  await page.getByRole('heading', { name: 'Recently added' }).waitFor();
  results.signed_in = true;

  step('create a library in the UI');
  // the libraries are a menu in the header (its "All libraries…" is the page that adds one)
  await page.getByRole('button', { name: /^Libraries/ }).click();
  await page.getByRole('link', { name: 'All libraries…' }).click();
  await page.getByLabel('Name').fill(LIBRARY);
  await page.getByLabel('Prefix in the bucket').fill(plan.prefix);
  await page.getByLabel('Kind').selectOption('movies');
  await page.getByRole('button', { name: 'Add library' }).click();
  await page.getByRole('heading', { name: LIBRARY }).waitFor();
  await page.getByText('This library is empty.').waitFor();
  step('empty library shown; uploading');
  const before = await page.evaluate(() => performance.getEntriesByType('navigation').length);
  const navigations = [];
  page.on('framenavigated', (f) => f === page.mainFrame() && navigations.push(f.url()));
  for (const u of [...(plan.sidecar ? [plan.sidecar] : []), ...plan.uploads, ...(plan.broken ? [plan.broken] : [])]) {
    const r = await fetch(u.url, { method: 'PUT', body: readFileSync(u.file) });
    if (!r.ok) throw new Error(`PUT ${u.name}: ${r.status}`);
  }
  for (const u of plan.uploads) {
    await page.getByRole('link', { name: new RegExp(u.title) }).waitFor({ timeout: 60_000 });
  }
  if (plan.broken) {
    const failed = page.getByRole('region', { name: /Failed items/ });
    await failed.getByText(plan.broken.name).waitFor({ timeout: 60_000 });
    results.failed_items = await failed.textContent();
  }
  const reloads = navigations.filter((u) => !u.includes('#')).length;
  if (reloads) throw new Error(`the page reloaded ${reloads} time(s)`);
  results.appeared_without_reload = before === 1 && reloads === 0;
  step('both items appeared without a reload');
  const libraryUrl = page.url();
  await check(page, 'library', 'desktop');

  // the first: DirectPlay
  step('detail of the first');
  await page.getByRole('link', { name: new RegExp(plan.uploads[0].title) }).click();
  await page.getByRole('heading', { level: 1, name: new RegExp(plan.uploads[0].title) }).waitFor();
  await page.getByRole('heading', { name: 'Streams' }).waitFor();
  const detailUrl = page.url();
  await check(page, 'detail', 'desktop');
  await page.getByRole('link', { name: /^▶ Play/ }).click();
  const first = await playPast(page, 3, 30_000);
  results.methods.first = first;
  if (first.method !== 'DirectPlay') throw new Error(`the first played by ${first.method}`);
  step(`first played to ${first.currentTime.toFixed(1)} s by ${first.method}`);
  if (plan.sidecar) {
    // its sidecar .srt: chosen in the menu, shown as a <track> (WebVTT from the API), a cue on
    results.subtitle = { options: await page.getByLabel('Subtitles').locator('option').allTextContents() };
    const picked = results.subtitle.options.find((o) => /English/.test(o));
    if (!picked) throw new Error(`no English subtitle offered: ${results.subtitle.options}`);
    await page.getByLabel('Subtitles').selectOption({ label: picked });
    const cue = await page.waitForFunction(
      () => {
        const m = document.querySelector('.player-media');
        const t = m && Array.from(m.textTracks).find((x) => x.mode === 'showing');
        return t && t.activeCues && t.activeCues.length ? { label: t.label, text: t.activeCues[0].text, at: m.currentTime } : null;
      },
      null,
      { timeout: 15_000, polling: 250 },
    );
    Object.assign(results.subtitle, await cue.jsonValue());
    results.subtitle.method_after = await page.evaluate(() => document.querySelector('[data-testid="play-method"]')?.textContent);
    step(`subtitle cue active: ${results.subtitle.text}`);
  }
  await page.keyboard.press('Space'); // pause (reports progress)
  await page.waitForFunction(() => document.querySelector('.player-media')?.paused === true);
  step('paused');
  await page.getByText(/^Why /).click();
  await check(page, 'player', 'desktop');
  step('player checked');
  const stopped = page.waitForResponse((r) => r.url().includes('/stop') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Stop' }).click();
  await stopped;
  step('first stopped');

  // the second: HLS with the audio transcoded
  await page.goto(libraryUrl);
  await page.getByRole('link', { name: new RegExp(plan.uploads[1].title) }).click();
  await page.getByRole('link', { name: /^▶ Play/ }).click();
  // a fresh transcode shows "Preparing…" with its progress until the first segment is up
  results.saw_preparing = await page
    .waitForSelector('.player[data-state="preparing"]', { timeout: 5000 })
    .then(() => page.screenshot({ path: join(plan.screenshots, 'player-preparing-desktop.png') }))
    .then(() => true, () => false);
  const second = await playPast(page, 3, 90_000);
  results.methods.second = second;
  if (second.method === 'DirectPlay') throw new Error('the second played directly');
  step(`second played to ${second.currentTime.toFixed(1)} s by ${second.method}`);
  const secondDecision = await page.evaluate(() => document.querySelector('.why-panel dl')?.textContent);
  results.methods.second.why = secondDecision;
  const stopped2 = page.waitForResponse((r) => r.url().includes('/stop') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Stop' }).click();
  await stopped2;
  step('second stopped');

  // home: the first under continue watching, with its position
  await page.getByRole('link', { name: 'Home' }).click();
  const row = page.getByRole('list', { name: 'Continue watching' });
  const firstId = new URL(detailUrl).hash.split('/').pop();
  const card = row.locator(`a[href="#/items/${firstId}"]`);
  await card.waitFor();
  results.continue_watching = await card.textContent();
  if (!/0:0[3-9] of 0:20/.test(results.continue_watching)) {
    throw new Error(`continue watching shows no position: ${results.continue_watching}`);
  }
  step('first found under continue watching');
  await check(page, 'home', 'desktop');
  // the libraries menu, open (keyboard: it is the next stop after Home)
  await page.getByRole('link', { name: 'Home' }).focus();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.getByRole('list', { name: 'Libraries' }).getByRole('link', { name: new RegExp(LIBRARY) }).waitFor();
  await check(page, 'menu', 'desktop');
  await page.keyboard.press('Escape');
  await page.getByRole('link', { name: 'Admin' }).click();
  await page.getByRole('heading', { name: 'Transcoding providers' }).waitFor();
  await page.getByRole('cell', { name: 'software' }).waitFor();
  await check(page, 'admin', 'desktop');

  // mobile
  const phone = await browser.newPage();
  await phone.setViewportSize(SIZES.mobile);
  phone.setDefaultTimeout(20_000);
  await phone.goto(plan.api + '/');
  await phone.getByRole('list', { name: 'Continue watching' }).waitFor();
  await check(phone, 'home', 'mobile');
  await phone.getByRole('button', { name: /^Libraries/ }).click();
  await phone.getByRole('list', { name: 'Libraries' }).getByRole('link', { name: new RegExp(LIBRARY) }).waitFor();
  await check(phone, 'menu', 'mobile');
  await phone.keyboard.press('Escape');
  await phone.goto(libraryUrl);
  await phone.getByRole('link', { name: new RegExp(plan.uploads[0].title) }).waitFor();
  await check(phone, 'library', 'mobile');
  await phone.goto(detailUrl);
  await phone.getByRole('heading', { name: 'Streams' }).waitFor();
  await check(phone, 'detail', 'mobile');
  await phone.getByRole('link', { name: /^▶ Resume/ }).click();
  await playPast(phone, 4, 30_000);
  await phone.keyboard.press('Space');
  await check(phone, 'player', 'mobile');
  await phone.getByRole('button', { name: 'Stop' }).click();
  step('mobile screenshots');

  results.console_errors = consoleErrors;
  results.ok = true;
} catch (error) {
  results.ok = false;
  results.error = String(error?.stack ?? error);
  results.console_errors = consoleErrors;
  for (const p of browser.pages()) {
    await p.screenshot({ path: join(plan.screenshots, `failure-${browser.pages().indexOf(p)}.png`) }).catch(() => {});
  }
} finally {
  await close();
}
results.seconds = (Date.now() - t0) / 1000;
console.log(JSON.stringify(results));
process.exit(results.ok ? 0 : 1);
