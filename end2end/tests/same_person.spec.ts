import { expect, test, type Page } from '@playwright/test';
import { openHydrated, screenshot } from './support';

// "Same person?" on a re-run of the demo dataset with a tight creator distance (0.2), so the
// same person's two clips are two creators IPS is unsure about: Yes makes them one creator; No
// keeps two apart, also after another re-run; every answer is an edit, undone at the end.

type Creator = { key: number | null; label: string };

async function creatorCount(page: Page, run: number): Promise<number> {
  const report = await (await page.request.get(`/api/runs/${run}`)).json();
  return (report.creators as Creator[]).filter((c) => c.key !== null).length;
}

/** Re-runs the demo dataset with creator distance 0.2 and opens the new run's report. */
async function tightRerun(page: Page): Promise<number> {
  await openHydrated(page, '/runs/1');
  const datasetHref = (await page.locator('.crumbs a').first().getAttribute('href'))!;
  await openHydrated(page, datasetHref);
  await page.locator('.run-settings-form summary').click();
  await page.locator('#run-max-distance').fill('0.2');
  await page.getByRole('button', { name: 'Start a new run' }).click();
  const newest = page.locator('article.run').first();
  await expect(newest.locator('.run-settings')).toContainText('creator distance 0.2');
  await expect(newest).toHaveAttribute('data-status', 'succeeded', { timeout: 90_000 });
  await newest.getByRole('link', { name: 'Open report' }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  return Number(page.url().split('/').pop());
}

test('same person? yes joins two creators, no keeps them apart after a re-run', async ({ page }) => {
  test.setTimeout(300_000);
  await openHydrated(page, '/runs/1');
  await expect(page.locator('#undo')).toBeAttached({ timeout: 120_000 });

  const run = await tightRerun(page);
  const question = page.locator('#same-person .question');
  await expect(question).toBeVisible();
  await screenshot(page, '30-same-person');
  const before = await creatorCount(page, run);

  // Yes: the two creators are one.
  await page.locator('#same-yes').click();
  await expect(page.locator('#edit-message')).toHaveText(/^Done: Merged .* into .*\.$/);
  await expect.poll(() => creatorCount(page, run)).toBe(before - 1);

  // No on the next question: the pair is kept apart and not asked again.
  await expect(question).toBeVisible();
  const [a, b] = [await question.getAttribute('data-a'), await question.getAttribute('data-b')];
  const labels = await question.locator('figcaption a').allTextContents();
  await page.locator('#same-no').click();
  await expect(page.locator('#edit-message')).toHaveText(/^Done: Said .* and .* are different people\.$/);
  const asked = async () =>
    (await page.locator('#same-person .question').count()) > 0 &&
    (await question.getAttribute('data-a')) === a &&
    (await question.getAttribute('data-b')) === b;
  await expect.poll(asked).toBe(false);

  // A re-run keeps the answers: no question about that pair, both creators still there.
  const rerun = await tightRerun(page);
  for (const label of labels) {
    await expect(page.locator('#creators .creator-label', { hasText: new RegExp(`^${label}$`) })).toHaveCount(1);
  }
  const pairAsked = page.locator(`#same-person .question figcaption a`, { hasText: labels[0] });
  if (await pairAsked.count()) {
    await expect(page.locator('#same-person .question figcaption a', { hasText: labels[1] })).toHaveCount(0);
  }
  expect(await creatorCount(page, rerun)).toBeGreaterThanOrEqual(2);

  // Leave the server as it was.
  await page.locator('#edit-log summary').click();
  for (;;) {
    const undo = page.locator('#undo');
    if (await undo.isDisabled()) break;
    const lines = await page.locator('#edit-log li').count();
    await undo.click();
    await expect(page.locator('#edit-log li')).toHaveCount(lines + 1);
    if (!(await page.locator('#edit-log').getAttribute('open'))) await page.locator('#edit-log summary').click();
  }
});
