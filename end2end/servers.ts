// The two servers the browser tests run against (started by playwright.config.ts).

/** The main server: demo data, no access token. */
export const port = Number(process.env.IPS_E2E_PORT ?? 3107);
/** A second server with an access token and no demo: read-only until signed in. */
export const guardedPort = port + 1;
export const guardedToken = 'e2e-token';
