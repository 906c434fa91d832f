import { expect, test, type Page } from '@playwright/test';
import { openHydrated, rerun, screenshot, undoAll } from './support';

// "Same person?" on a re-run of the demo dataset with a tight creator distance (0.2), so the
// same person's two clips are two creators IPS is unsure about. No keeps the two apart and the
// pair is not asked again, also after another re-run; Yes makes them one creator, also after
// another re-run. Every answer is an edit, undone before the next part and at the end.

type Creator = { key: number | null; label: string };

async function creatorCount(page: Page, run: number): Promise<number> {
  const report = await (await page.request.get(`/api/runs/${run}`)).json();
  return (report.creators as Creator[]).filter((c) => c.key !== null).length;
}

test('same person? no keeps two creators apart, yes joins them, both after a re-run', async ({ page }) => {
  test.setTimeout(480_000);
  await openHydrated(page, '/runs/1');
  await expect(page.locator('#undo')).toBeAttached({ timeout: 120_000 });
  const question = page.locator('#same-person .question');

  // No: the pair is kept apart and not asked again.
  let run = await rerun(page, 1, '0.2');
  await expect(question.first()).toBeVisible();
  await screenshot(page, '30-same-person');
  const [a, b] = [await question.first().getAttribute('data-a'), await question.first().getAttribute('data-b')];
  const labels = await question.first().locator('figcaption a').allTextContents();
  expect(labels).toHaveLength(2);
  const apart = await creatorCount(page, run);
  await page.locator('#same-no').click();
  await expect(page.locator('#edit-message')).toHaveText(/^Done: Said .* and .* are different people\.$/);
  const pairAsked = page.locator(`#same-person .question[data-a="${a}"][data-b="${b}"]`);
  await expect(pairAsked).toHaveCount(0);

  // A re-run keeps the answer: both creators still there, the pair not asked.
  run = await rerun(page, 1, '0.2');
  for (const label of labels) {
    await expect(page.locator('#creators .creator-label', { hasText: new RegExp(`^${label}$`) })).toHaveCount(1);
  }
  await expect(page.locator('#same-person .question figcaption a', { hasText: new RegExp(`^${labels[0]}$`) })
    .locator('xpath=ancestor::*[contains(@class,"question")]')
    .locator('figcaption a', { hasText: new RegExp(`^${labels[1]}$`) })).toHaveCount(0);
  expect(await creatorCount(page, run)).toBe(apart);
  await undoAll(page);

  // Yes: the two creators are one, and stay one after a re-run.
  run = await rerun(page, 1, '0.2');
  await expect(question.first()).toBeVisible();
  const before = await creatorCount(page, run);
  expect(before).toBe(apart);
  await page.locator('#same-yes').click();
  await expect(page.locator('#edit-message')).toHaveText(/^Done: Merged .* into .*\.$/);
  await expect.poll(() => creatorCount(page, run)).toBe(before - 1);
  run = await rerun(page, 1, '0.2');
  expect(await creatorCount(page, run)).toBe(before - 1);

  // Leave the server as it was.
  await undoAll(page);
});
