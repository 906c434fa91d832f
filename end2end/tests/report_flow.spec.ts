import { expect, test } from '@playwright/test';
import ExcelJS from 'exceljs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ARTIFACTS, openHydrated, screenshot } from './support';

/**
 * The analyst's whole path through the report, as issue #6 asks: upload an XLSX with one bad
 * row → mapping shown → validation message → run ends → table sorted by mean → a creator → a
 * video → the XLSX download parsed back → the HTML report opened offline with its images.
 */

/** An XLSX of the demo clips' URLs with ROAS, spend, date and campaign, and one bad row. */
async function workbook(demoCsv: string): Promise<{ buffer: Buffer; good: number }> {
  const lines = demoCsv.trim().split('\n').slice(1).map((l) => l.split(','));
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Ads export');
  sheet.addRow(['Ad name', 'Video URL', 'ROAS', 'Amount spent (USD)', 'Reporting starts', 'Campaign name']);
  lines.forEach(([perf, url, campaign], i) => {
    const day = new Date(Date.UTC(2026, 2, 2 + i));
    sheet.addRow([`Ad ${i + 1}`, url, Number(perf), 100 + 25 * i, day, campaign]);
  });
  // Excel row lines.length + 2: a performance nobody can read.
  sheet.addRow(['Broken', lines[0][1], 'n/a', 50, new Date(Date.UTC(2026, 3, 1)), 'Spring launch']);
  sheet.getColumn(5).numFmt = 'yyyy-mm-dd';
  return { buffer: Buffer.from(await book.xlsx.writeBuffer()), good: lines.length };
}

test('xlsx upload → mapping → run → sorted table → creator → video → XLSX and HTML downloads', async ({ page, request, browser }) => {
  test.setTimeout(240_000);
  const demoCsv = await (await request.get('/demo/demo.csv')).text();
  const { buffer, good } = await workbook(demoCsv);
  const badRow = good + 2;

  // Upload: the mapping step shows the detected columns and what they make of every row.
  await openHydrated(page, '/');
  await page.setInputFiles('#upload-file', {
    name: 'ads-export.xlsx',
    mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    buffer,
  });
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await expect(page).toHaveURL(/\/uploads\/[0-9a-f]{64}\?name=ads-export.xlsx/);
  await expect(page.locator('#map-video_url')).toHaveValue('Video URL');
  await expect(page.locator('#map-performance')).toHaveValue('ROAS');
  await expect(page.locator('#map-spend')).toHaveValue('Amount spent (USD)');
  await expect(page.locator('#map-date')).toHaveValue('Reporting starts');
  await expect(page.locator('#map-campaign')).toHaveValue('Campaign name');
  await expect(page.locator('#map-ad_name')).toHaveValue('Ad name');
  await expect(page.locator('#mapping-summary')).toContainText(`${good} rows will be used; 1 row has problems`);
  const problem = page.locator('#preview-problems tbody tr');
  await expect(problem).toHaveCount(1);
  await expect(problem).toContainText(String(badRow));
  await expect(problem).toContainText("not a number: 'n/a'");
  await expect(page.locator('#preview tbody tr').first()).toContainText('2026-03-02');
  await screenshot(page, '10-mapping');

  // Choosing "not in this file" for spend re-checks at once (hydrated), then back.
  await openHydrated(page, page.url());
  await page.locator('#map-spend').selectOption('-');
  await expect(page).toHaveURL(/spend=-/);
  await expect(page.locator('#map-spend')).toHaveValue('-');
  await page.locator('#map-spend').selectOption('Amount spent (USD)');
  await expect(page.locator('#map-spend')).toHaveValue('Amount spent (USD)');

  // Start: the dataset lists the bad row; the run ends by itself.
  await page.locator('#start-run').click();
  await expect(page).toHaveURL(/\/datasets\/\d+$/);
  await expect(page.locator('#rejected-count .stat-value')).toHaveText('1');
  await expect(page.locator('#problems tbody tr')).toContainText("not a number: 'n/a'");
  const run = page.locator('article.run').first();
  await expect(run).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
  await screenshot(page, '11-dataset');

  // The report: charts, then the table sorted by mean (click the header).
  await run.getByRole('link', { name: 'Open report' }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  const runUrl = page.url();
  for (const chart of ['#chart-top', '#chart-distribution', '#chart-mean-vs-ads', '#chart-faces', '#chart-time']) {
    await expect(page.locator(`${chart} svg.chart`)).toBeVisible();
  }
  await expect(page.locator('#creators th', { hasText: 'Spend-weighted' })).toBeVisible();
  await page.locator('#creators th a[data-sort="mean"]').click();
  await expect(page).toHaveURL(/sort=mean&dir=desc/);
  await expect(page.locator('#creators th[aria-sort="descending"]')).toContainText('Mean');
  const people = page.locator('#creators tbody tr[data-creator]:not([data-creator=""])');
  const means = (await people.locator('td.mean').allTextContents()).map(Number);
  expect(means.length).toBeGreaterThanOrEqual(5);
  expect(means).toEqual([...means].sort((a, b) => b - a));
  await screenshot(page, '12-report-sorted');
  // The README's pictures: the table and each chart on its own.
  await page.locator('#creators').screenshot({ path: path.join(ARTIFACTS, 'table.png') });
  for (const chart of ['top', 'distribution', 'mean-vs-ads', 'faces', 'time']) {
    await page.locator(`#chart-${chart}`).screenshot({ path: path.join(ARTIFACTS, `chart-${chart}.png`) });
  }

  // Search narrows the table on the server.
  const firstName = (await people.first().locator('.creator-label').textContent())!.trim();
  await page.locator('#creator-search').fill(firstName);
  await page.locator('#creator-search').press('Enter');
  await expect(page).toHaveURL(new RegExp(`q=${encodeURIComponent(firstName).replace(/%20/g, '(%20|\\+)')}`));
  await expect(page.locator('#creators tbody tr', { hasText: firstName }).first()).toBeVisible();
  const tableAds = Number(await page.locator('#creators tbody tr', { hasText: firstName }).first().locator('td.ads').textContent());

  // A creator's page: faces that load, its videos, its ads (as many as the table said).
  await page.locator('#creators tbody tr', { hasText: firstName }).first().locator('a.creator-cell').click();
  await expect(page).toHaveURL(/\/runs\/\d+\/creators\/\d+$/);
  await expect(page.locator('#creator-name')).toHaveText(firstName);
  await expect(page.locator('#ads tbody tr')).toHaveCount(tableAds);
  const faces = page.locator('#faces img.face');
  expect(await faces.count()).toBeGreaterThanOrEqual(1);
  for (const face of await faces.all()) {
    await expect.poll(() => face.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  }
  await screenshot(page, '13-creator');

  // One of its videos: stills, URLs, ads, and the way back to the creator.
  await page.locator('#creator-videos a.video-card').first().click();
  await expect(page).toHaveURL(/\/runs\/\d+\/videos\/\d+$/);
  await expect(page.locator('#video-title')).toContainText('Video #');
  await expect(page.locator('#video-urls a').first()).toHaveAttribute('href', /\/demo\/videos\/.+\.mp4$/);
  await expect(page.locator('#video-creator')).toHaveText(firstName);
  expect(await page.locator('#ads tbody tr').count()).toBeGreaterThanOrEqual(1);
  await screenshot(page, '14-video');

  // Downloads: the workbook parses back with every row; the bad row is in it, rejected.
  await page.goto(runUrl);
  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.locator('#download-xlsx').click()]);
  const xlsxPath = path.join(ARTIFACTS, 'report.xlsx');
  await xlsx.saveAs(xlsxPath);
  const parsed = new ExcelJS.Workbook();
  await parsed.xlsx.readFile(xlsxPath);
  expect(parsed.worksheets.map((w) => w.name)).toEqual(['creators', 'videos', 'ads']);
  const ads = parsed.getWorksheet('ads')!;
  expect(ads.rowCount).toBe(good + 2); // header + every input row, the rejected one too
  const header = (ads.getRow(1).values as unknown[]).slice(1);
  const col = (name: string) => header.indexOf(name) + 1;
  const bad = ads.getRow(good + 2);
  expect(bad.getCell(col('row')).value).toBe(badRow);
  expect(String(bad.getCell(col('status')).value)).toContain("not a number: 'n/a'");
  expect(ads.getRow(2).getCell(col('spend')).value).toBe(100);
  expect(ads.getRow(2).getCell(col('date')).value).toBe('2026-03-02');
  const creators = parsed.getWorksheet('creators')!;
  const creatorHeader = (creators.getRow(1).values as unknown[]).slice(1);
  const labels = creators.getColumn(creatorHeader.indexOf('label') + 1).values.slice(2);
  expect(labels).toContain(firstName);

  // The HTML report is one file that opens offline with every image.
  const [html] = await Promise.all([page.waitForEvent('download'), page.locator('#download-html').click()]);
  const htmlPath = path.join(ARTIFACTS, 'report.html');
  await html.saveAs(htmlPath);
  expect(fs.readFileSync(htmlPath, 'utf8')).not.toMatch(/src="\/(faces|stills)\//);
  const offline = await browser.newContext();
  await offline.setOffline(true);
  const reportPage = await offline.newPage();
  await reportPage.goto(`file://${htmlPath}`);
  const images = reportPage.locator('img');
  expect(await images.count()).toBeGreaterThanOrEqual(5);
  for (const img of await images.all()) {
    await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0)).toBe(true);
  }
  expect(await reportPage.locator('svg.chart').count()).toBeGreaterThanOrEqual(4);
  await expect(reportPage.locator('#creators')).toContainText(firstName);
  await reportPage.screenshot({ path: path.join(ARTIFACTS, '15-html-report.png'), fullPage: true });
  await offline.close();
});

test('the report works on a phone-sized screen', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  // The demo run the server made at start.
  await openHydrated(page, '/runs/1');
  await expect(page.locator('#creators')).toBeVisible();
  // Nothing but the table's own scroller is wider than the screen.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: path.join(ARTIFACTS, '16-report-phone.png'), fullPage: true });
  await context.close();
});

test('the JSON of a run holds what its table shows', async ({ page, request }) => {
  const response = await request.get('/api/runs/1');
  expect(response.ok()).toBe(true);
  const report = await response.json();
  expect(report.run_id).toBe(1);
  type Creator = { key: number | null; hidden: boolean; shrunk_mean: number; stats: { ads: number; mean: number } };
  const creators = (report.creators as Creator[]).filter((c) => !c.hidden);
  // Every ad with a video is counted once, by one creator row (or the "no creator" row).
  const withVideo = (report.ads as { video: number | null }[]).filter((a) => a.video !== null).length;
  expect(creators.reduce((sum, c) => sum + c.stats.ads, 0)).toBe(withVideo);

  // The table lists them in the same order, with the same ads, means and ranked means.
  await openHydrated(page, '/runs/1');
  const rows = await page.locator('#creators tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    ads: tr.querySelector('td.ads')?.textContent,
    mean: tr.querySelector('td.mean')?.textContent,
    ranked: tr.querySelector('td.ranked-mean')?.textContent,
  })));
  expect(rows).toEqual(creators.map((c) => ({
    ads: String(c.stats.ads), mean: c.stats.mean.toFixed(3), ranked: c.shrunk_mean.toFixed(3),
  })));
});
