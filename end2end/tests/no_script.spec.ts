import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { screenshot } from './support';

// The report and its corrections with JavaScript off (a slow network, a script error, a locked-down
// browser): the page is whole HTML, and every correction is a form the server answers with the
// page again. On the demo run (run 1); the test undoes its edits, so the server is left as it was.

test.use({ javaScriptEnabled: false });

type Stats = { ads: number; mean: number };
type Creator = { key: number | null; label: string; hidden: boolean; videos: number[]; stats: Stats };

async function creators(request: APIRequestContext, run: number): Promise<Creator[]> {
  const report = await (await request.get(`/api/runs/${run}`)).json();
  return (report.creators as Creator[]).filter((c) => c.key !== null);
}

const rows = (page: Page) => page.locator('#creators tbody tr[data-creator]:not([data-creator=""])');
const row = (page: Page, label: string) =>
  rows(page).filter({ has: page.locator('.creator-label', { hasText: new RegExp(`^${label}$`) }) });
const message = (page: Page) => page.locator('#edit-message');

test('without JavaScript: read the report, merge, split, hide, and undo each', async ({ page, request }) => {
  test.setTimeout(180_000);
  // The demo run starts with the server; without scripts the page does not follow it live, so reload.
  await expect
    .poll(async () => {
      await page.goto('/runs/1');
      return page.locator('#undo').count();
    }, { timeout: 150_000, intervals: [2_000] })
    .toBe(1);
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(0);

  // Read: every visible creator of the JSON report is a row with its ads, in the HTML itself.
  const before = (await creators(request, 1)).filter((c) => !c.hidden);
  expect(before.length).toBeGreaterThanOrEqual(3);
  await expect(rows(page)).toHaveCount(before.length);
  for (const c of before) {
    await expect(row(page, c.label).locator('td.ads')).toHaveText(String(c.stats.ads));
  }
  await screenshot(page, '60-no-script-report');

  // A mistake comes back as a sentence: one creator cannot be merged.
  const labelsInOrder = await rows(page).locator('.creator-label').allTextContents();
  const [a, b, c] = labelsInOrder.slice(0, 3).map((label) => before.find((x) => x.label === label)!);
  await row(page, a.label).locator('input.select').check();
  await page.locator('#merge').click();
  await expect(message(page)).toHaveText('Tick at least two creators to merge.');
  await expect(message(page)).toHaveAttribute('role', 'alert');

  // Merge a and b: the first ticked keeps its name (the keep list needs scripts).
  await row(page, a.label).locator('input.select').check();
  await row(page, b.label).locator('input.select').check();
  await page.locator('#merge').click();
  await expect(message(page)).toHaveText(`Done: Merged ${b.label} into ${a.label}.`);
  await expect(rows(page)).toHaveCount(before.length - 1);
  await expect(row(page, a.label).locator('td.ads')).toHaveText(String(a.stats.ads + b.stats.ads));
  await expect(row(page, b.label)).toHaveCount(0);
  const merged = (await creators(request, 1)).find((x) => x.label === a.label)!;
  expect(merged.videos.sort()).toEqual([...a.videos, ...b.videos].sort());

  // Split b's videos off again on the merged creator's page; the page follows its creator.
  await row(page, a.label).locator('.creator-label').click();
  await expect(page).toHaveURL(/\/runs\/1\/creators\/\d+$/);
  for (const v of b.videos) {
    await page.locator(`.video-pick[data-video="${v}"] input`).check();
  }
  await page.locator('#split').click();
  await expect(page).toHaveURL(/\/runs\/1\/creators\/\d+\?edit_done=/);
  await expect(message(page)).toHaveText(/^Done: Split videos? #.* into a new creator\.$/);
  await expect(page.locator('#creator-name')).toHaveText(a.label);
  await expect(page.locator('#creator-ads .stat-value')).toHaveText(String(a.stats.ads));

  // Hide c with a reason: it leaves the table.
  await page.goto('/runs/1');
  await expect(rows(page)).toHaveCount(before.length);
  await row(page, c.label).locator('input.select').check();
  await page.locator('#hide-reason').fill('stock footage');
  await page.locator('#hide').click();
  await expect(message(page)).toHaveText(`Done: Hid ${c.label} (stock footage).`);
  await expect(rows(page)).toHaveCount(before.length - 1);
  await expect(row(page, c.label)).toHaveCount(0);
  await screenshot(page, '61-no-script-hidden');

  // Undo all three, newest first: the table and the JSON report are as they were.
  for (const undone of [`Hid ${c.label} (stock footage)`, /Split videos? #/, `Merged ${b.label} into ${a.label}`]) {
    await page.locator('#undo').click();
    await expect(message(page)).toHaveText(typeof undone === 'string' ? `Done: ${undone}.` : undone);
  }
  await expect(rows(page)).toHaveCount(before.length);
  const after = (await creators(request, 1)).filter((x) => !x.hidden);
  expect(after.map((x) => [x.label, x.stats.ads])).toEqual(before.map((x) => [x.label, x.stats.ads]));
});
