/**
 * Opens a built report in headless Chromium: the inline SVG plots render (marks with non-zero
 * boxes), nothing is fetched from the network, and a screenshot is taken.
 * docs/report-screenshot.png (shown in the README) is written when it is missing or when
 * SPARSEPUSH_UPDATE_SCREENSHOT=1; SPARSEPUSH_SCREENSHOT_RUNS=dir1,dir2,... uses real run
 * directories instead of the fake ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildReport } from '../src/report/index.js';
import { fakeRun } from './report.fixtures.js';
import { launchChromium } from './support/browser.js';

const SCREENSHOT = join('docs', 'report-screenshot.png');

test('the report renders in Chromium: SVG plots with visible marks, no network', { timeout: 60_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sparsepush-browser-'));
  const realRuns = process.env.SPARSEPUSH_SCREENSHOT_RUNS?.split(',').filter(Boolean);
  const dirs = realRuns ?? [
    fakeRun(tmp, { name: 'sgp', algorithm: 'sgp', compressor: 'none', bitsPerRound: 251200, plateau: 0.87, devices: 16 }),
    fakeRun(tmp, { name: 'sparse-push', bitsPerRound: 4800, plateau: 0.83, devices: 16 }),
    fakeRun(tmp, { name: 'sc-sparse-push', algorithm: 'sc-sparse-push', bitsPerRound: 4800, plateau: 0.86, devices: 16 }),
  ];
  const report = await buildReport(dirs, join(tmp, 'report.html'), { generatedAt: new Date('2026-01-01T00:00:00Z') });

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
    await page.goto(pathToFileURL(report.file).href, { waitUntil: 'load' });

    const plots = await page.$$eval('figure.chart svg', (svgs) => svgs.map((svg) => {
      const box = svg.getBoundingClientRect();
      const marks = [...svg.querySelectorAll('path[aria-roledescription="line mark"], path[aria-roledescription="bar"], path[aria-roledescription="point"]')]
        .map((p) => (p as SVGGraphicsElement).getBBox());
      return {
        id: svg.closest('figure')!.id, width: box.width, height: box.height,
        marks: marks.length, visible: marks.filter((b) => b.width > 0 || b.height > 0).length,
      };
    }));
    assert.ok(plots.length >= 8, `${plots.length} plots`);
    for (const p of plots) {
      assert.ok(p.width > 300 && p.height > 200, `${p.id}: ${p.width}x${p.height}`);
      assert.ok(p.marks > 0, `${p.id} has marks`);
      assert.ok(p.visible > 0, `${p.id} marks have non-zero boxes`);
    }
    const table = await page.$eval('.table-wrap', (el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
    assert.ok(table.scroll <= table.client, `the summary table fits a 1440 px window (${table.scroll} > ${table.client})`);
    const text = await page.textContent('table.summary');
    assert.ok(text?.includes('sparse-push'));
    assert.deepEqual(requests, [], 'no network requests');

    const shot = join(tmp, 'report.png');
    await page.screenshot({ path: shot, fullPage: true, clip: { x: 0, y: 0, width: 1440, height: 1250 } });
    assert.ok(statSync(shot).size > 20_000, 'a non-trivial screenshot');
    if (!existsSync(SCREENSHOT) || process.env.SPARSEPUSH_UPDATE_SCREENSHOT === '1') {
      mkdirSync('docs', { recursive: true });
      copyFileSync(shot, SCREENSHOT);
    }
  } finally {
    await browser.close();
  }
});
