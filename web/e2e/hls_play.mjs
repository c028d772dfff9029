// hls.js (the web app's player library, from web/node_modules) plays an HLS stream in Debian's
// Chromium and is watched at the joins the caller names. tests/integration/test_transcode_fanout.py
// runs this with a JSON plan in VIEWRA_E2E:
//   { master, boundaries: [seconds where one chunk of the job ends and the next begins] }
// The page is the API's /health at the master playlist's origin, emptied down to a <video>, so
// the playlists are same-origin as in the web app; segments are the presigned object URLs the API
// lists (the emulator answers CORS).
// Steps: buffer the whole stream (ranges and duration once hls.js reaches the end), seek past the
// first boundary and play on, play across every boundary from just before it, play to the end.
// It prints one JSON line of results and exits non-zero on the first failed step.
import { createRequire } from 'node:module';
import { launch } from './chromium.mjs';

const plan = JSON.parse(process.env.VIEWRA_E2E ?? '{}');
const HLS = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');
const PAGE = new URL('/health', plan.master).href;
const WAIT = { timeout: 20_000, polling: 100 };
const results = { steps: [], across: [], console_errors: [] };
const t0 = Date.now();
const step = (name) => {
  results.steps.push({ name, at_ms: Date.now() - t0 });
  console.error(`[hls.js ${((Date.now() - t0) / 1000).toFixed(1)}s] ${name}`);
};

// the video element's state: what the test asserts on
const state = () => {
  const v = document.querySelector('video');
  const ranges = [];
  for (let i = 0; i < v.buffered.length; i += 1) ranges.push([v.buffered.start(i), v.buffered.end(i)]);
  return {
    currentTime: v.currentTime, duration: v.duration, buffered: ranges, ended: v.ended,
    error: v.error && v.error.code, fatal: window.check.fatal, errors: window.check.errors,
  };
};

/** Seek to `from`, play, and wait until the playhead passes `past` (or the stream ends). */
async function playFrom(page, from, past) {
  await page.evaluate(async (t) => {
    const v = document.querySelector('video');
    const seeked = new Promise((done) => v.addEventListener('seeked', done, { once: true }));
    v.currentTime = t;
    await seeked;
    await v.play();
  }, from);
  await page.waitForFunction(
    (p) => {
      const v = document.querySelector('video');
      return window.check.fatal.length > 0 || v.currentTime > p || v.ended;
    },
    past,
    WAIT,
  );
  const now = await page.evaluate(state);
  if (now.fatal.length) throw new Error(`hls.js fatal error: ${now.fatal.join(', ')}`);
  return { from, past, reached: now.currentTime, ended: now.ended };
}

const { browser, close } = await launch({ width: 640, height: 360 });
const page = browser.pages()[0] ?? (await browser.newPage());
try {
  page.on('console', (m) => m.type() === 'error' && results.console_errors.push(m.text()));
  page.on('requestfailed', (r) => results.console_errors.push(`${r.failure()?.errorText} ${r.url()}`));
  // a document the API really answered (Chromium lets it reach the loopback emulator; one made
  // up by playwright's router is from no address space and is refused), then just a <video>
  await page.goto(PAGE);
  await page.evaluate(() => {
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    document.body.replaceChildren(video);
  });
  await page.addScriptTag({ path: HLS });
  results.hls_version = await page.evaluate(() => window.Hls.version);

  step('load');
  await page.evaluate((master) => {
    const check = { fatal: [], errors: [], last: {}, buffered: {} };
    window.check = check;
    const hls = new window.Hls();
    const E = window.Hls.Events;
    hls.on(E.ERROR, (_, d) => {
      const what = [`${d.type}/${d.details}`, d.response?.code, d.frag?.url ?? d.url, d.error?.message];
      (d.fatal ? check.fatal : check.errors).push(what.filter((w) => w !== undefined).join(' '));
    });
    // the last segment of each playlist (main, audio), and the last one appended
    hls.on(E.LEVEL_LOADED, (_, d) => (check.last.main = d.details.endSN));
    hls.on(E.AUDIO_TRACK_LOADED, (_, d) => (check.last.audio = d.details.endSN));
    hls.on(E.FRAG_BUFFERED, (_, d) => {
      check.buffered[d.frag.type] = Math.max(check.buffered[d.frag.type] ?? -1, d.frag.sn);
    });
    hls.loadSource(master);
    hls.attachMedia(document.querySelector('video'));
  }, plan.master);
  // buffered to the end (hls.js loads ahead while paused): every playlist's last segment is in
  await page.waitForFunction(() => {
    const c = window.check;
    const types = Object.keys(c.last);
    return c.fatal.length > 0 || (types.length > 0 && types.every((t) => c.buffered[t] >= c.last[t]));
  }, null, WAIT);
  await page.waitForTimeout(300);
  results.loaded = await page.evaluate(state);
  if (results.loaded.fatal.length) throw new Error(`hls.js fatal error: ${results.loaded.fatal.join(', ')}`);
  step('buffered to the end');

  const [first, second] = plan.boundaries;
  const into = second === undefined ? first + 0.5 : (first + second) / 2;
  results.seek = await playFrom(page, into, into + 0.3);
  step(`seeked to ${into} s`);
  for (const b of plan.boundaries) {
    results.across.push(await playFrom(page, b - 0.6, b + 0.4));
    step(`played across ${b} s`);
  }
  const end = await playFrom(page, results.loaded.duration - 1, Number.POSITIVE_INFINITY);
  results.end = { ...end, ...(await page.evaluate(state)) };
  step('played to the end');
  results.ok = results.end.fatal.length === 0;
  if (!results.ok) results.error = `hls.js fatal error: ${results.end.fatal.join(', ')}`;
} catch (error) {
  results.ok = false;
  results.state = await page.evaluate(state).catch(() => null); // where it got to
  results.error = [
    error?.stack ?? error, `state: ${JSON.stringify(results.state)}`, ...results.console_errors,
  ].join('\n');
} finally {
  await close();
}
results.seconds = (Date.now() - t0) / 1000;
console.log(JSON.stringify(results));
process.exit(results.ok ? 0 : 1);
