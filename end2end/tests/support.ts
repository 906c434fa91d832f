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
