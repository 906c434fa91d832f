import { expect, test } from '@playwright/test';
import { uploadAndStart } from './support';

// A spreadsheet naming internal addresses: those rows fail with a refusal, the rest of the run
// goes on. (The refusal is made before connecting; the fetch tests prove it.)
test('URLs to private and metadata addresses are refused, row by row', async ({ page, request }) => {
  const demo = (await (await request.get('/demo/demo.csv')).text()).split('\n')[1].split(',')[1];
  const csv = [
    'Performance,Video URL',
    `1.5,${demo}`,
    '2.0,http://169.254.169.254/latest/meta-data/iam/credentials',
    '0.5,http://10.0.0.7:8080/ad.mp4',
    '0.7,http://[::1]:9/ad.mp4',
  ].join('\n');
  await uploadAndStart(page, { name: 'internal-urls.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  const run = page.locator('article.run').first();
  await expect(run).toHaveAttribute('data-status', 'succeeded', { timeout: 60_000 });
  await run.getByRole('link', { name: 'Open report' }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  await expect(page.locator('#failed-count .stat-value')).toHaveText('3');
  const ads = await (await request.get(page.url() + '/export/ads.csv')).text();
  expect(ads).toContain('failed: refused: 169.254.169.254 is a link-local (cloud metadata) address');
  expect(ads).toContain('failed: refused: 10.0.0.7 is a private address');
  expect(ads).toContain('failed: refused: ::1 is a loopback address');
  expect(ads.split('\n').filter((l) => l.includes(',downloaded,') || l.includes(',cached,')).length).toBe(1);
});
