import { expect, test } from '@playwright/test';
import { guardedPort, guardedToken } from '../servers';
import { openHydrated, uploadAndStart } from './support';

// The second server has an access token: the top bar says the pages are read-only, signing in
// (with a name for the edit log) says who is signed in, and signing out goes back.
const guarded = `http://127.0.0.1:${guardedPort}`;

test('the top bar shows whether this browser may change things', async ({ page }) => {
  await openHydrated(page, `${guarded}/`);
  const visitor = page.getByTestId('visitor');
  await expect(visitor).toContainText('Read-only');
  await visitor.getByRole('link', { name: 'Sign in to make changes' }).click();
  await expect(page).toHaveURL(`${guarded}/sign-in`);

  await page.locator('#token').fill('not the token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('body')).toContainText('Wrong token');

  await page.goto(`${guarded}/sign-in`);
  await page.locator('#token').fill(guardedToken);
  await page.locator('#name').fill('Ana Ríos');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(`${guarded}/`);
  await expect(page.getByTestId('visitor')).toHaveText('Signed in as Ana Ríos');
  const cookies = await page.context().cookies(guarded);
  const session = cookies.find((c) => c.name === 'ips_session');
  expect(session?.httpOnly).toBe(true);
  expect(session?.value).not.toContain(guardedToken);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByTestId('visitor')).toContainText('Read-only');
});

test('a server without a token shows no sign-in at all', async ({ page }) => {
  await openHydrated(page, '/');
  await expect(page.locator('.topbar .brand')).toBeVisible();
  await expect(page.getByTestId('visitor')).toHaveCount(0);
});

test('signed out, the controls of a finished run are read-only', async ({ page, request }) => {
  test.setTimeout(150_000);
  // One clip of the main server's demo, run on the guarded server.
  const clip = (await (await request.get('/demo/demo.csv')).text()).split('\n')[1].split(',')[1];
  await page.goto(`${guarded}/sign-in`);
  await page.locator('#token').fill(guardedToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await uploadAndStart(page, { name: 'one-clip.csv', mimeType: 'text/csv', buffer: Buffer.from(`Performance,Video URL\n1.5,${clip}\n`) }, guarded);
  const run = page.locator('article.run').first();
  await expect(run).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
  await run.getByRole('link', { name: 'Open report' }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  const runUrl = page.url();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  const firstRow = page.locator('#creators tbody tr[data-creator]:not([data-creator=""])').first();
  await firstRow.locator('input.select').check();
  await expect(page.locator('#hide')).toBeEnabled();
  await expect(page.locator('#edit-message')).toHaveCount(0);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await openHydrated(page, runUrl);
  await expect(page.locator('#edit-message')).toContainText('Read-only: sign in to change creators.');
  await firstRow.locator('input.select').check();
  await expect(page.locator('#hide')).toBeDisabled();
  await expect(page.locator('#merge')).toBeDisabled();
});
