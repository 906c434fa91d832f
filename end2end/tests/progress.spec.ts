import { expect, test } from '@playwright/test';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openHydrated, uploadAndStart } from './support';

// A run's progress moves on the dataset page while it works, without a reload: the bar and the
// count go up and the time left is shown. The videos come from a server here that answers each
// URL a little later than the one before, so the fetch stage takes seconds.

const URLS = 8;

test('the progress bar moves and the time left is shown while a run works', async ({ page }) => {
  test.setTimeout(180_000);
  const clip = Buffer.from(await (await page.request.get('/demo/videos/p5-zoom.mp4')).body());
  const server = http.createServer((req, res) => {
    const n = Number((req.url ?? '').match(/slow-(\d+)\.mp4$/)?.[1] ?? NaN);
    if (!Number.isInteger(n)) return void res.writeHead(404).end();
    setTimeout(() => res.writeHead(200, { 'content-type': 'video/mp4' }).end(clip), 900 * n);
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const csv = ['Performance,Video URL', ...Array.from({ length: URLS }, (_, i) => `${1 + i / 10},${base}/slow-${i + 1}.mp4`)];
    await uploadAndStart(page, { name: 'slow.csv', mimeType: 'text/csv', buffer: Buffer.from(csv.join('\n')) });
    await openHydrated(page, page.url());
    const run = page.locator('article.run').first();

    // What the page shows, sampled until the run ends (the page polls the server every second).
    type Sample = { stage: string; done: number; total: number; bar: number; eta: string | null; status: string };
    const samples: Sample[] = [];
    for (;;) {
      const sample = await run.evaluate((el) => ({
        stage: el.querySelector('.stage')?.textContent ?? '',
        done: Number(el.querySelector('.count')?.getAttribute('data-done')),
        total: Number(el.querySelector('.count')?.getAttribute('data-total')),
        bar: Number(el.querySelector('progress')?.getAttribute('value')),
        eta: el.querySelector('.eta')?.textContent ?? null,
        status: el.getAttribute('data-status') ?? '',
      }));
      samples.push(sample);
      if (sample.status === 'succeeded') break;
      expect(sample.status).toMatch(/^(queued|running)$/);
      expect(samples.length, 'the run ends').toBeLessThan(600);
      await page.waitForTimeout(250);
    }

    // The fetch stage was seen part-way, more than once, going up, with the bar matching.
    const fetching = samples.filter((s) => s.stage === 'fetch' && s.total === URLS && s.done > 0 && s.done < URLS);
    expect(new Set(fetching.map((s) => s.done)).size, JSON.stringify(samples)).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < fetching.length; i++) expect(fetching[i].done).toBeGreaterThanOrEqual(fetching[i - 1].done);
    for (const s of fetching) expect(Math.abs(s.bar - (s.done * 100) / s.total)).toBeLessThanOrEqual(0.5);
    // ... with the time left.
    expect(fetching.some((s) => /^ · about .+ left$/.test(s.eta ?? '')), JSON.stringify(fetching)).toBe(true);
    await expect(run.locator('.events')).toContainText(`Fetched ${URLS} distinct URLs`);
  } finally {
    server.close();
  }
});
