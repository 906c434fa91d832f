import { defineConfig } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { guardedPort, guardedToken, port } from './servers';

// The server under test: the debug build of `ips`, on its own port, with a fresh data dir, so a
// run never sees data from an earlier one.
const repo = path.resolve(__dirname, '..');
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(repo, 'target');
const binary = process.env.IPS_E2E_BIN ?? path.join(targetDir, 'debug', 'ips');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ips-e2e-'));
const guardedDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ips-e2e-guarded-'));
const siteRoot = path.join(repo, 'target', 'site');

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list'], ['json', { outputFile: process.env.IPS_E2E_JSON ?? 'test-results/results.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      // The machine has no internet: without these, Chromium keeps trying to reach its services.
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
  },
  webServer: [
    {
      command: `${binary} serve --addr 127.0.0.1:${port} --data-dir ${dataDir}`,
      cwd: repo,
      url: `http://127.0.0.1:${port}/`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
      env: { RUST_LOG: 'info,tower_http=warn', IPS_SITE_ROOT: siteRoot },
    },
    {
      command: `${binary} serve --addr 127.0.0.1:${guardedPort} --data-dir ${guardedDataDir}`,
      cwd: repo,
      url: `http://127.0.0.1:${guardedPort}/`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
      env: {
        RUST_LOG: 'warn',
        IPS_SITE_ROOT: siteRoot,
        IPS_DEMO: 'false',
        IPS_ACCESS_TOKEN: guardedToken,
        // Its test run downloads a demo clip from the main server, on loopback.
        IPS_ALLOW_HOSTS: '127.0.0.1',
      },
    },
  ],
});
