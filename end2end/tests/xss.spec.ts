import { expect, test, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ARTIFACTS, openHydrated, uploadAndStart } from './support';

// Cells that would run as code if pasted into a page: they must show as text everywhere (table,
// creator page, charts, HTML report), and URLs that are not http(s) never become links.
const SCRIPT = '<script>window.__xss = 1</script>';
const IMG = '<img src=x onerror="window.__xss = 2">';
const NAME = '<svg onload="window.__xss = 4">Eve';

async function noScriptRan(page: Page) {
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(await page.locator('a[href^="javascript:"], a[href^="data:"]').count()).toBe(0);
}

test('HTML, script and javascript: URLs in cells and names stay inert text', async ({ page, request, browser }) => {
  test.setTimeout(120_000);
  const demo = (await (await request.get('/demo/demo.csv')).text()).split('\n')[1].split(',')[1];
  const csv = [
    'Performance,Video URL,Campaign,Ad name',
    `1.5,${demo},"${SCRIPT}","${IMG.replaceAll('"', '""')}"`,
    '2.0,javascript:window.__xss = 3,x,y',
    `0.5,"data:text/html,${SCRIPT}",x,y`,
  ].join('\n');
  await uploadAndStart(page, { name: 'hostile-cells.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.locator('#problems')).toContainText('javascript:');
  await noScriptRan(page);
  const run = page.locator('article.run').first();
  await expect(run).toHaveAttribute('data-status', 'succeeded', { timeout: 60_000 });
  await run.getByRole('link', { name: 'Open report' }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  const runUrl = page.url();

  // The creator page shows the cells as they were typed.
  await page.locator('#creators tbody tr[data-creator]:not([data-creator=""]) .creator-label').first().click();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect(page.locator('#ads')).toContainText(SCRIPT);
  await expect(page.locator('#ads')).toContainText(IMG);
  await noScriptRan(page);

  // A name with markup: shown as text on the page, in the table and in the charts.
  const before = await page.locator('#creator-name').textContent();
  await page.locator('#rename').fill(NAME);
  await page.locator('#rename-save').click();
  await expect(page.locator('#creator-name')).toHaveText(NAME);
  await openHydrated(page, runUrl);
  await expect(page.locator('#creators')).toContainText(NAME);
  // Charts clip long labels ("…"): the markup is there as text.
  await expect(page.locator('#chart-top svg')).toContainText('<svg onload="window._');
  await noScriptRan(page);

  // The standalone HTML report, opened from disk.
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download-html').click()]);
  const file = path.join(ARTIFACTS, 'xss-report.html');
  await download.saveAs(file);
  expect(fs.readFileSync(file, 'utf8')).not.toContain('<script>window.__xss');
  const offline = await browser.newContext();
  await offline.setOffline(true);
  const report = await offline.newPage();
  await report.goto(`file://${file}`);
  await expect(report.locator('body')).toContainText(NAME);
  await noScriptRan(report);
  await offline.close();

  // Leave the demo creators as they were for other tests.
  await page.locator('#undo').click();
  await expect(page.locator('#creators')).not.toContainText(NAME);
  expect(before).not.toBeNull();
});

test('a form or server function posted from another site is refused', async ({ request, baseURL }) => {
  const csv = Buffer.from('Performance,Video URL\n1,https://cdn.example.com/a.mp4\n');
  const upload = { multipart: { file: { name: 'a.csv', mimeType: 'text/csv', buffer: csv } } };
  const cross = await request.post('/upload', { ...upload, headers: { Origin: 'https://evil.example' }, maxRedirects: 0 });
  expect(cross.status()).toBe(403);
  expect(await cross.text()).toContain('another site');
  const fetchMeta = await request.post('/upload', { ...upload, headers: { 'Sec-Fetch-Site': 'cross-site' }, maxRedirects: 0 });
  expect(fetchMeta.status()).toBe(403);
  // The same upload from the app's own origin goes through (to the mapping step).
  const own = new URL(baseURL!).origin;
  const same = await request.post('/upload', { ...upload, headers: { Origin: own }, maxRedirects: 0 });
  expect([302, 303]).toContain(same.status());
  // A server function (JSON edit) from another site: refused before it runs.
  const edit = await request.post('/api/edit_creators', {
    headers: { Origin: 'https://evil.example', 'Content-Type': 'application/json' },
    data: { run_id: 1, version: 0, edit: { edit: 'hide', creators: [1], reason: 'csrf' } },
  });
  expect(edit.status()).toBe(403);
});
