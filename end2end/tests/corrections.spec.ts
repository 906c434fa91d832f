import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { openHydrated, screenshot } from './support';

// Corrections on the demo run (run 1, made by the server at start): merge, split, hide, undo,
// reload, rename, and a re-run with another creator threshold that keeps the edits. Edits apply
// to every run of the same videos, so the test ends by undoing all of them.

type Stats = { ads: number; mean: number };
type Creator = { key: number | null; label: string; hidden: boolean; videos: number[]; stats: Stats };

async function creators(request: APIRequestContext, run: number): Promise<Creator[]> {
  const report = await (await request.get(`/api/runs/${run}`)).json();
  return (report.creators as Creator[]).filter((c) => c.key !== null);
}

const row = (page: Page, label: string) =>
  page.locator('#creators tbody tr').filter({ has: page.locator('.creator-label', { hasText: new RegExp(`^${label}$`) }) });

async function tick(page: Page, label: string) {
  await row(page, label).locator('input.select').check();
}

async function expectDone(page: Page, what: RegExp) {
  await expect(page.locator('#edit-message')).toHaveText(what);
}

test('merge, split, hide, undo, reload, rename, and a re-run that keeps the edits', async ({ page, request }) => {
  test.setTimeout(240_000);
  // The demo run starts with the server: wait for its end (the page follows it live).
  await openHydrated(page, '/runs/1');
  await expect(page.locator('#undo')).toBeAttached({ timeout: 120_000 });
  const before = await creators(request, 1);
  expect(before.length).toBeGreaterThanOrEqual(4);
  const [a, b, c] = before;
  const visibleRows = async () => page.locator('#creators tbody tr[data-creator]:not([data-creator=""])').count();

  // Merge a and b, keeping b's name: one row whose ads are the sum and whose mean is recomputed.
  await openHydrated(page, '/runs/1');
  const rowsBefore = await visibleRows();
  await tick(page, a.label);
  await tick(page, b.label);
  await expect(page.locator('#selected-count')).toHaveText('2 selected');
  await page.locator('#merge-keep').selectOption({ label: b.label });
  await page.locator('#merge').click();
  await expectDone(page, new RegExp(`^Done: Merged ${a.label} into ${b.label}\\.$`));
  await expect.poll(visibleRows).toBe(rowsBefore - 1);
  await expect(row(page, b.label).locator('td.ads')).toHaveText(String(a.stats.ads + b.stats.ads));
  await expect(row(page, a.label)).toHaveCount(0);
  const merged = (await creators(request, 1)).find((x) => x.label === b.label)!;
  const expectedMean = (a.stats.mean * a.stats.ads + b.stats.mean * b.stats.ads) / (a.stats.ads + b.stats.ads);
  expect(merged.stats.ads).toBe(a.stats.ads + b.stats.ads);
  expect(Math.abs(merged.stats.mean - expectedMean)).toBeLessThan(1e-9);
  expect(merged.videos.sort()).toEqual([...a.videos, ...b.videos].sort());
  await expect(page.locator('#chart-top svg')).toContainText(b.label);
  await screenshot(page, '20-after-merge');

  // Split a's videos off again on the merged creator's page: two rows, as before.
  await row(page, b.label).locator('.creator-label').click();
  await expect(page).toHaveURL(/\/runs\/1\/creators\/\d+$/);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect(page.locator('#creator-ads .stat-value')).toHaveText(String(merged.stats.ads));
  for (const v of a.videos) {
    await page.locator(`.video-pick[data-video="${v}"] input`).check();
  }
  await expect(page.locator('#picked-count')).toHaveText(`${a.videos.length} videos, 0 faces ticked`);
  await page.locator('#split').click();
  await expectDone(page, /^Done: Split videos? #.* into a new creator\.$/);
  await expect(page.locator('#creator-ads .stat-value')).toHaveText(String(b.stats.ads));
  await screenshot(page, '21-creator-after-split');
  await openHydrated(page, '/runs/1');
  await expect.poll(visibleRows).toBe(rowsBefore);
  const afterSplit = await creators(request, 1);
  expect(afterSplit.map((x) => x.stats.ads).sort()).toEqual(before.map((x) => x.stats.ads).sort());
  expect(afterSplit.find((x) => x.label === b.label)!.stats.mean).toBeCloseTo(b.stats.mean, 9);

  // Hide c: it leaves the table and the charts, and is listed under "hidden".
  await tick(page, c.label);
  await page.locator('#hide-reason').fill('stock footage');
  await page.locator('#hide').click();
  await expectDone(page, new RegExp(`^Done: Hid ${c.label} \\(stock footage\\)\\.$`));
  await expect.poll(visibleRows).toBe(rowsBefore - 1);
  await expect(row(page, c.label)).toHaveCount(0);
  await expect(page.locator('#chart-top svg')).not.toContainText(c.label);
  await expect(page.locator('#chart-distribution svg')).not.toContainText(c.label);
  await openHydrated(page, '/runs/1?show=hidden');
  await expect(row(page, c.label)).toHaveCount(1);
  await expect(row(page, c.label)).toContainText('hidden');
  await screenshot(page, '22-hidden');

  // Undo: c is back. A reload shows the same.
  await openHydrated(page, '/runs/1');
  await expect(page.locator('#undo')).toHaveAttribute('title', `Undo: Hid ${c.label} (stock footage)`);
  await page.locator('#undo').click();
  await expectDone(page, /^Done: Hid .*\.$/);
  await expect.poll(visibleRows).toBe(rowsBefore);
  await expect(row(page, c.label)).toHaveCount(1);
  await expect(page.locator('#chart-top svg')).toContainText(c.label);
  await expect(page.locator('#redo')).toBeEnabled();
  await page.reload();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect.poll(visibleRows).toBe(rowsBefore);
  await expect(row(page, c.label)).toHaveCount(1);
  await page.locator('#edit-log summary').click();
  await expect(page.locator('#edit-log li')).toHaveCount(4);
  await expect(page.locator('#edit-log li').first()).toContainText('undone');

  // Two tabs: the second, still at the old version, is refused with a clear message.
  const other = await page.context().newPage();
  await openHydrated(other, '/runs/1');
  await tick(page, a.label);
  await tick(page, b.label);
  await page.locator('#merge-keep').selectOption({ label: b.label });
  await page.locator('#merge').click();
  await expectDone(page, /^Done: Merged/);
  await tick(other, c.label);
  await other.locator('#hide').click();
  await expect(other.locator('#edit-message')).toContainText('changed since you loaded the page');
  await other.close();

  // Rename the merged creator on its page.
  await row(page, b.label).locator('.creator-label').click();
  await expect(page).toHaveURL(/\/creators\/\d+$/);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await page.locator('#rename').fill('Merged pair');
  await page.locator('#rename-save').click();
  await expectDone(page, new RegExp(`^Done: Renamed ${b.label} to Merged pair\\.$`));
  await expect(page.locator('#creator-name')).toHaveText('Merged pair');

  // Re-run the demo dataset with another creator threshold: the edits still hold there.
  await openHydrated(page, '/runs/1');
  const datasetHref = (await page.locator('.crumbs a').first().getAttribute('href'))!;
  await openHydrated(page, datasetHref);
  await page.locator('.run-settings-form summary').click();
  await page.locator('#run-max-distance').fill('0.3');
  await page.getByRole('button', { name: 'Start a new run' }).click();
  const newest = page.locator('article.run').first();
  await expect(newest.locator('.run-settings')).toContainText('creator distance 0.3');
  await expect(newest).toHaveAttribute('data-status', 'succeeded', { timeout: 90_000 });
  await newest.getByRole('link', { name: 'Open report' }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  const rerun = Number(page.url().split('/').pop());
  await expect(row(page, 'Merged pair').locator('td.ads')).toHaveText(String(a.stats.ads + b.stats.ads));
  await expect(row(page, a.label)).toHaveCount(0);
  await screenshot(page, '23-rerun-keeps-edits');

  // Leave the server as it was: undo every edit, from the new run's page.
  await page.locator('#edit-log summary').click();
  for (;;) {
    const undo = page.locator('#undo');
    if (await undo.isDisabled()) break;
    const logLines = await page.locator('#edit-log li').count();
    await undo.click();
    await expect(page.locator('#edit-log li')).toHaveCount(logLines + 1);
    if (await page.locator('#edit-log').count() && !(await page.locator('#edit-log').getAttribute('open'))) {
      await page.locator('#edit-log summary').click();
    }
  }
  const restored = await creators(request, rerun);
  expect(restored.map((x) => x.label)).not.toContain('Merged pair');
  expect((await creators(request, 1)).map((x) => x.stats.ads).sort()).toEqual(before.map((x) => x.stats.ads).sort());
});

test('move a video, choose a face, leave a face out and count it again', async ({ page, request }) => {
  test.setTimeout(120_000);
  await openHydrated(page, '/runs/1');
  await expect(page.locator('#undo')).toBeAttached({ timeout: 120_000 });
  await expect(page.locator('#undo')).toBeDisabled();
  const before = await creators(request, 1);
  const [a, b] = before;
  const moved = a.videos[0];

  // Move one of a's videos to b, found with the search box of the picker.
  await openHydrated(page, `/runs/1/creators/${a.key}`);
  await page.locator(`.video-pick[data-video="${moved}"] input`).check();
  await page.locator('#move-search').fill(b.label);
  const shown = page.locator('#move-targets label');
  await expect.poll(() => shown.count()).toBeLessThan(before.length - 1);
  for (const text of await shown.allTextContents()) expect(text).toContain(b.label);
  const target = shown.filter({ has: page.locator('span', { hasText: new RegExp(`^${b.label}$`) }) });
  await expect(target.locator('img.face')).toHaveCount(1);
  await target.locator('input[type=radio]').check();
  await page.locator('#move').click();
  await expectDone(page, new RegExp(`^Done: Moved video #${moved} from ${a.label} to ${b.label}\\.$`));
  await expect(page.locator(`.video-pick[data-video="${moved}"]`)).toHaveCount(0);
  const afterMove = await creators(request, 1);
  const a2 = afterMove.find((x) => x.label === a.label)!;
  const b2 = afterMove.find((x) => x.label === b.label)!;
  expect(b2.videos).toContain(moved);
  expect(a2.stats.ads + b2.stats.ads).toBe(a.stats.ads + b.stats.ads);

  // On b's page: another track as the face, then one face left out and counted again.
  await openHydrated(page, `/runs/1/creators/${b2.key}`);
  const faces = page.locator('#faces figure');
  const count = await faces.count();
  expect(count).toBeGreaterThanOrEqual(2);
  const other = faces.filter({ has: page.locator('button.use-face') }).first();
  const chosen = await other.locator('img').getAttribute('src');
  await other.locator('button.use-face').click();
  await expectDone(page, new RegExp(`^Done: Chose the face of ${b.label}\\.$`));
  await expect(page.locator('.creator-head img.face')).toHaveAttribute('src', chosen!);
  await expect(page.locator('#faces figure.the-face img')).toHaveAttribute('src', chosen!);

  await faces.last().locator('button.leave-out').click();
  await expectDone(page, /^Done: Left out a face of .*\.$/);
  await expect(page.locator('#faces figure')).toHaveCount(count - 1);
  await openHydrated(page, '/runs/1');
  await expect(page.locator('#ignored-faces figure')).toHaveCount(1);
  await page.locator('#ignored-faces button').click();
  await expectDone(page, /^Done: Counted a left-out face again\.$/);
  await expect(page.locator('#ignored-faces')).toHaveCount(0);

  // Hide a creator from its page with a reason, then restore it from the hidden list.
  await openHydrated(page, `/runs/1/creators/${a2.key}`);
  await page.locator('#edit-reason').fill('a print');
  await page.locator('#hide-creator').click();
  await expectDone(page, new RegExp(`^Done: Hid ${a.label} \\(a print\\)\\.$`));
  await expect(page.locator('.creator-head .badge', { hasText: 'hidden' })).toBeVisible();
  await openHydrated(page, '/runs/1?show=hidden');
  await expect(page.locator('#show-again')).toBeDisabled();
  await tick(page, a.label);
  await page.locator('#show-again').click();
  await expectDone(page, new RegExp(`^Done: Restored ${a.label}\\.$`));
  await expect(row(page, a.label)).toHaveCount(0);
  await openHydrated(page, '/runs/1');
  await expect(row(page, a.label)).toHaveCount(1);

  // Undo everything: the machine's grouping is back.
  await page.locator('#edit-log summary').click();
  while (!(await page.locator('#undo').isDisabled())) {
    const logLines = await page.locator('#edit-log li').count();
    await page.locator('#undo').click();
    await expect(page.locator('#edit-log li')).toHaveCount(logLines + 1);
    if (!(await page.locator('#edit-log').getAttribute('open'))) await page.locator('#edit-log summary').click();
  }
  const after = await creators(request, 1);
  expect(after.map((x) => [x.label, x.stats.ads])).toEqual(before.map((x) => [x.label, x.stats.ads]));
});
