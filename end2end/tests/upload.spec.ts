import { expect, test } from '@playwright/test';
import { openHydrated, screenshot, uploadAndStart } from './support';

// 3 valid rows and 2 bad ones (row 4: not a number; row 6: no URL). The URLs are the server's
// own demo clips, so the run fetches from 127.0.0.1 only.
const csvFor = (base: string) => [
  'Performance,Video URL,Campaign',
  `1.50,${base}/demo/videos/p1-zoom.mp4,Spring`,
  `0.75,${base}/demo/videos/p2-zoom.mp4,Spring`,
  `lots,${base}/demo/videos/p3-zoom.mp4,Summer`,
  `2.25,${base}/demo/videos/product-1.mp4,Summer`,
  '1.10,,Summer',
].join('\n');

test('upload a CSV: 3 accepted, 2 problems with row numbers, a run that progresses and ends', async ({ page, baseURL }) => {
  const CSV = csvFor(baseURL!);
  await openHydrated(page, '/');
  await screenshot(page, '01-home');
  await uploadAndStart(page, { name: 'ads.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });

  await expect(page.locator('#accepted-count .stat-value')).toHaveText('3');
  await expect(page.locator('#rejected-count .stat-value')).toHaveText('2');
  const problems = page.locator('#problems tbody tr');
  await expect(problems).toHaveCount(2);
  await expect(problems.nth(0)).toContainText('4');
  await expect(problems.nth(0)).toContainText("not a number: 'lots'");
  await expect(problems.nth(1)).toContainText('6');
  await expect(problems.nth(1)).toContainText('missing video URL');

  // The run queued by the upload ends without a reload.
  const firstRun = page.locator('article.run').first();
  await expect(firstRun).toHaveAttribute('data-status', 'succeeded', { timeout: 60_000 });
  await expect(firstRun.locator('.events')).toContainText('Ingested 3 rows');
  await expect(firstRun.locator('.events')).toContainText('Fetched 3 distinct URLs');

  // A second run started from the (hydrated) page appears and ends, live.
  await openHydrated(page, page.url());
  // ... with another creator threshold and sampling rate, shown on the run.
  await page.locator('.run-settings-form summary').click();
  await page.locator('#run-max-distance').fill('0.35');
  await page.locator('#run-fps').fill('2');
  await page.getByRole('button', { name: 'Start a new run' }).click();
  await expect(page.locator('article.run')).toHaveCount(2);
  const newest = page.locator('article.run').first();
  await expect(newest).toHaveAttribute('data-status', 'succeeded', { timeout: 60_000 });
  await expect(newest.locator('.events')).toContainText('Stage ingest: started');
  await expect(newest.locator('.events')).toContainText('Finished');
  await expect(newest.locator('.run-settings')).toHaveText('SSD faces · 2 frames/s · creator distance 0.35');
  await expect(page.locator('article.run').nth(1).locator('.run-settings')).toHaveText('SSD faces · 1 frames/s · creator distance 0.4');
  // The rejected rows download as CSV with their problems.
  const rejected = await (await page.request.get(await page.locator('#download-rejected').getAttribute('href') ?? '')).text();
  expect(rejected.split('\n')[0]).toBe('row,problems,Video URL,Performance,Campaign');
  expect(rejected).toContain("4,Performance: not a number: 'lots',");
  await screenshot(page, '02-dataset-after-runs');
});

test('a file that is not a CSV gets one clear message', async ({ page }) => {
  await openHydrated(page, '/');
  await page.setInputFiles('#upload-file', {
    name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
  });
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await expect(page.locator('#upload-error')).toHaveText(/neither a CSV text file nor an Excel workbook/);
  await screenshot(page, '03-upload-error');
});

test('a file dropped on the hydrated form is uploaded', async ({ page, baseURL }) => {
  const CSV = csvFor(baseURL!);
  await openHydrated(page, '/');
  await page.evaluate((csv) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([csv], 'dropped.csv', { type: 'text/csv' }));
    const form = document.querySelector('form.upload')!;
    form.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    form.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, CSV);
  await expect(page).toHaveURL(/\/uploads\/[0-9a-f]{64}\?name=dropped.csv/);
  await page.locator('#start-run').click();
  await expect(page).toHaveURL(/\/datasets\/\d+$/);
  await expect(page.locator('h1')).toContainText('dropped.csv');
  await expect(page.locator('#accepted-count .stat-value')).toHaveText('3');
});
