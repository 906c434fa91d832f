import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { openHydrated, rerun, screenshot, undoAll, uploadAndStart } from './support';

// A re-post of a demo clip made here with ffmpeg (shrunk onto a white card with a dark header,
// as ad accounts re-post) and served on 127.0.0.1: IPS makes it one video with its original,
// and the video's page shows why. "Not the same ad" splits it out, "Same ad" on the Videos page
// joins it again, and each holds in a re-run. Every edit is undone at the end.

const ORIGINAL = 'p3-zoom.mp4';
const REPOST = 'repost-card.mp4';
const OTHER = 'p4-zoom.mp4';
const CARD = 'scale=270:480,pad=360:640:45:120:white,drawbox=x=20:y=30:w=320:h=60:color=0x203040:t=fill';

/** Serves `dir` on 127.0.0.1 (a random port) until the test ends. */
async function serve(dir: string): Promise<{ base: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    const file = path.join(dir, path.basename(req.url ?? ''));
    if (!fs.existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'video/mp4' }).end(fs.readFileSync(file));
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/** The Videos page row holding an ad whose URL ends with `file`. */
const rowWith = (page: Page, file: string) =>
  page.locator('#videos tbody tr').filter({ has: page.locator(`.video-links a[href$="/${file}"]`) });

/** Opens the run's Videos page; whether the original and the re-post are one video there. */
async function joined(page: Page, run: number): Promise<boolean> {
  await openHydrated(page, `/runs/${run}/videos`);
  await expect(rowWith(page, ORIGINAL)).toHaveCount(1);
  await expect(rowWith(page, REPOST)).toHaveCount(1);
  return (await rowWith(page, ORIGINAL).getAttribute('data-video')) === (await rowWith(page, REPOST).getAttribute('data-video'));
}

test('a re-post is one video with its evidence; not the same ad and same ad hold after a re-run', async ({ page, baseURL }) => {
  test.setTimeout(420_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ips-e2e-repost-'));
  const original = Buffer.from(await (await page.request.get(`/demo/videos/${ORIGINAL}`)).body());
  fs.writeFileSync(path.join(dir, ORIGINAL), original);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', path.join(dir, ORIGINAL), '-vf', CARD,
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path.join(dir, REPOST)]);
  const files = await serve(dir);
  try {
    const csv = ['Performance,Video URL,Campaign', `1.20,${baseURL}/demo/videos/${ORIGINAL},A`,
      `1.60,${files.base}/${REPOST},B`, `0.90,${baseURL}/demo/videos/${OTHER},A`].join('\n');
    await uploadAndStart(page, { name: 'reposts.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    const first = page.locator('article.run').first();
    await expect(first).toHaveAttribute('data-status', 'succeeded', { timeout: 90_000 });
    let run = Number((await first.getAttribute('id'))!.replace('run-', ''));

    // One video of two files (and the other clip apart), its page showing the matched frames.
    expect(await joined(page, run)).toBe(true);
    await expect(page.locator('#videos tbody tr')).toHaveCount(2);
    await expect(rowWith(page, ORIGINAL).locator('td').nth(3)).toHaveText('2');
    await rowWith(page, ORIGINAL).locator('td.num a').first().click();
    await expect(page).toHaveURL(new RegExp(`/runs/${run}/videos/\\d+$`));
    await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
    const link = page.locator('#evidence .link');
    await expect(link).toHaveCount(1);
    await expect(link.locator('h3')).toHaveText(/^The same video/);
    await expect(link.locator('.link-files')).toContainText(ORIGINAL);
    await expect(link.locator('.link-files')).toContainText(REPOST);
    const pairs = link.locator('.frame-pair');
    expect(await pairs.count()).toBeGreaterThanOrEqual(2);
    for (const pair of await pairs.all()) {
      // Each side is a still cut from its file's strip; the pair says how it was matched.
      await expect(pair.locator('.frame[role="img"]')).toHaveCount(2);
      expect(await pair.locator('.frame').first().getAttribute('style')).toContain('background-image');
      expect(await pair.getAttribute('title')).toMatch(/fingerprint|keypoints/i);
      await expect(pair.locator('figcaption')).toHaveText(/^\d+:\d\d ↔ \d+:\d\d$/);
    }
    await screenshot(page, '40-video-evidence');

    // Not the same ad: the re-post is a video of its own, now and in the next run.
    await link.getByRole('button', { name: 'Not the same ad: split this file out' }).click();
    await expect(page.locator('#edit-message')).toHaveText(/^Done: /);
    expect(await joined(page, run)).toBe(false);
    await expect(page.locator('#videos tbody tr')).toHaveCount(3);
    run = await rerun(page, run);
    expect(await joined(page, run)).toBe(false);

    // Same ad: ticked together on the Videos page, one video again, also in a re-run.
    await rowWith(page, ORIGINAL).locator('input.select-video').check();
    await rowWith(page, REPOST).locator('input.select-video').check();
    await expect(page.locator('#videos-ticked')).toHaveText('2 ticked');
    await page.locator('#same-ad').click();
    await expect(page.locator('#edit-message')).toHaveText(/^Done: /);
    expect(await joined(page, run)).toBe(true);
    await expect(page.locator('#videos tbody tr')).toHaveCount(2);
    run = await rerun(page, run);
    expect(await joined(page, run)).toBe(true);

    // Leave the server as it was.
    await openHydrated(page, `/runs/${run}`);
    await undoAll(page);
  } finally {
    files.close();
  }
});
