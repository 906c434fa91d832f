import { expect, test } from '@playwright/test';
import { openHydrated, screenshot, uploadAndStart } from './support';

// The server makes its demo clips at start and serves them; the demo CSV lists their URLs.
test('upload a CSV of demo URLs: the run ends and the table shows faces that load', async ({ page, request }) => {
  const csv = await (await request.get('/demo/demo.csv')).text();
  expect(csv.split('\n')[0]).toBe('Performance,Video URL,Campaign');

  await uploadAndStart(page, { name: 'demo-urls.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  const run = page.locator('article.run').first();
  await expect(run).toHaveAttribute('data-status', 'succeeded', { timeout: 90_000 });

  await run.getByRole('link', { name: 'Open report' }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  await expect(page.locator('.stage-step.done')).toHaveCount(5);
  const rows = page.locator('#creators tbody tr');
  expect(await rows.count()).toBeGreaterThanOrEqual(5);

  // Sorted by ranked (shrunk) mean performance, best first: people on camera, then still faces (prints), then
  // the "no creator" row.
  for (const group of [':not(.still)', '.still']) {
    const means = await page.locator(`#creators tbody tr[data-creator]:not([data-creator=""])${group} td.ranked-mean`).allTextContents();
    const values = means.map(Number);
    expect(values.every(Number.isFinite)).toBe(true);
    expect(values).toEqual([...values].sort((a, b) => b - a));
  }
  const order = await page.locator('#creators tbody tr').evaluateAll((rows) =>
    rows.map((r) => (r.getAttribute('data-creator') === '' ? 2 : r.classList.contains('still') ? 1 : 0)));
  expect(order).toEqual([...order].sort((a, b) => a - b));

  // Every face image is served and decodes.
  const faces = page.locator('#creators img.face');
  expect(await faces.count()).toBeGreaterThanOrEqual(5);
  for (const face of await faces.all()) {
    await face.scrollIntoViewIfNeeded();
    await expect.poll(() => face.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  }
  await expect(page.locator('#creators tbody tr[data-creator=""]')).toContainText('No creator on camera');
  await screenshot(page, '04-run-report');

  // The unique videos, each with a strip of stills that loads.
  await page.locator('#video-count').click();
  await expect(page).toHaveURL(/\/runs\/\d+\/videos$/);
  const videos = page.locator('#videos tbody tr');
  expect(await videos.count()).toBeGreaterThanOrEqual(5);
  for (const stills of await page.locator('#videos img.stills').all()) {
    await stills.scrollIntoViewIfNeeded();
    await expect.poll(() => stills.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  }
  // Without CLIP weights (never downloadable here) the page says so, and the rest still works.
  await expect(page.locator('#clip-off')).toContainText('CLIP is off');
  await screenshot(page, '05-videos');
});
