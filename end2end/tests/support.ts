import { expect, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Screenshots land here; CI keeps them as artifacts. */
export const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });

/** Loads a page and waits until it has hydrated: clicks before that would be lost. */
export async function openHydrated(page: Page, url: string) {
  await page.goto(url);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
}

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Uploads a file from the start page (of the server at `base`, the main one by default),
 * checks the mapping step appears, and starts the run. */
export async function uploadAndStart(
  page: Page,
  file: { name: string; mimeType: string; buffer: Buffer },
  base = '',
) {
  await openHydrated(page, `${base}/`);
  await page.setInputFiles('#upload-file', file);
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await expect(page).toHaveURL(/\/uploads\/[0-9a-f]{64}\?/);
  await expect(page.locator('#preview')).toBeVisible();
  await page.locator('#start-run').click();
  await expect(page).toHaveURL(/\/datasets\/\d+$/);
}

/** Undoes every edit in force, from the open run report, so the server is as it was. */
export async function undoAll(page: Page) {
  await page.locator('#edit-log summary').click();
  for (;;) {
    const undo = page.locator('#undo');
    if (await undo.isDisabled()) break;
    const lines = await page.locator('#edit-log li').count();
    await undo.click();
    await expect(page.locator('#edit-log li')).toHaveCount(lines + 1);
    if (!(await page.locator('#edit-log').getAttribute('open'))) await page.locator('#edit-log summary').click();
  }
}

/** Starts a new run of the dataset of `run` (default settings, or another creator distance)
 * and opens the new run's report once it ends; returns its id. */
export async function rerun(page: Page, run: number, maxDistance?: string): Promise<number> {
  await openHydrated(page, `/runs/${run}`);
  const datasetHref = (await page.locator('.crumbs a').first().getAttribute('href'))!;
  await openHydrated(page, datasetHref);
  if (maxDistance) {
    await page.locator('.run-settings-form summary').click();
    await page.locator('#run-max-distance').fill(maxDistance);
  }
  const before = await page.locator('article.run').count();
  await page.getByRole('button', { name: 'Start a new run' }).click();
  await expect(page.locator('article.run')).toHaveCount(before + 1);
  const newest = page.locator('article.run').first();
  if (maxDistance) await expect(newest.locator('.run-settings')).toContainText(`creator distance ${maxDistance}`);
  await expect(newest).toHaveAttribute('data-status', 'succeeded', { timeout: 90_000 });
  await newest.getByRole('link', { name: 'Open report' }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  return Number(page.url().split('/').pop());
}
