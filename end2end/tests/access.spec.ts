import { expect, test } from '@playwright/test';
import { guardedPort, guardedToken } from '../servers';
import { openHydrated } from './support';

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
