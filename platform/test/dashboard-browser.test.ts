import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventTypes } from '@chirp/domain/events';
import { client } from '../../test-support/http-client.ts';
import { freePort } from '../../test-support/ports.ts';
import { root, startProcess, stopAllProcesses, withoutChirpSettings, type ChirpProcess } from '../../test-support/processes.ts';

/**
 * The operators' dashboard (query-api/dashboard/) in a real browser against a real `npm start`:
 * log in through the form, watch a tweet posted from outside arrive in the live tail, filter it
 * out and back in, pause and resume, open its envelope and its stream's history, replay a
 * projection and see it finish, and save the screenshot the README shows (docs/dashboard.png);
 * then show payloads holding markup as text, never as HTML.
 * Needs Debian's Chromium (scripts/ensure-chromium.sh installs it on CI).
 */
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const missing = `${CHROMIUM} is missing: run \`bash scripts/ensure-chromium.sh\` (as root: apt-get install chromium)`;
if (!haveChromium && !process.env.CI) console.warn(`dashboard-browser.test.ts skipped: ${missing}`);

describe.runIf(!haveChromium && process.env.CI)('the dashboard in a browser, on CI', () => {
  it('needs Chromium', () => {
    throw new Error(`${missing}; CI must run the browser test, so it fails instead of skipping`);
  });
});

const OPERATOR = { handle: 'dash_ops', password: 'operator-password-1', displayName: 'Dashboard Ops' };
const USER = { handle: 'dash_user', password: 'user-password-1', displayName: 'Dash User' };
const SCREENSHOT = join(root, 'docs', 'dashboard.png');
// Generous: a 2-core machine running npm start, Chromium and the test at once.
const UI_TIMEOUT = 20_000;

describe.skipIf(!haveChromium)('the operators’ dashboard in Chromium against npm start', () => {
  let server: ChirpProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let dataDir: string;
  let commandUrl: string;
  let queryUrl: string;
  let commands: ReturnType<typeof client>;
  let queries: ReturnType<typeof client>;
  let userToken: string;
  let userId: string;
  const problems: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'chirp-dashboard-'));
    const [commandPort, queryPort] = [await freePort(), await freePort()];
    server = startProcess('npm', ['start'], {
      ...withoutChirpSettings(),
      NODE_ENV: undefined,
      CHIRP_DATA_DIR: dataDir,
      CHIRP_HOST: '127.0.0.1',
      CHIRP_COMMAND_PORT: String(commandPort),
      CHIRP_QUERY_PORT: String(queryPort),
      CHIRP_OPERATOR_HANDLES: OPERATOR.handle,
      CHIRP_LOG_LEVEL: 'warn',
    });
    const launched = chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    await server.waitFor('query API', 80_000);
    commandUrl = `http://127.0.0.1:${commandPort}`;
    queryUrl = `http://127.0.0.1:${queryPort}`;
    commands = client(commandUrl);
    queries = client(queryUrl);

    for (const account of [OPERATOR, USER]) expect((await commands.post('/v1/users', { body: account })).status).toBe(201);
    const session = await commands.post('/v1/sessions', { body: { handle: USER.handle, password: USER.password } });
    expect(session.body.roles).toEqual([]);
    userToken = session.body.accessToken;
    userId = session.body.userId;

    browser = await launched;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    // A CSP violation (an inline style or script) or an uncaught error is a bug of the page.
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    try {
      if (server) {
        server.signalService('SIGTERM');
        const exit = await Promise.race([server.exited, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
        if (!exit) await stopAllProcesses();
      }
    } finally {
      await stopAllProcesses();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 40_000);

  async function command(path: string, body?: unknown, method: 'post' | 'put' | 'patch' = 'post') {
    const res = await commands[method](path, { token: userToken, body });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    return res.body;
  }

  const tweetRows = (text: string) => page.locator('#events tbody.event', { hasText: text });

  it('logs in, tails live events, filters, pauses, shows envelopes and histories, replays a projection', async () => {
    await page.goto(`${queryUrl}/dashboard`);

    // A wrong password is refused in the form; the operator's own gets in.
    await page.getByLabel('Handle', { exact: true }).fill(OPERATOR.handle);
    await page.getByLabel('Password', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'Log in failed' }).isVisible(), { timeout: UI_TIMEOUT }).toBe(true);
    await page.getByLabel('Password', { exact: true }).fill(OPERATOR.password);
    await page.getByRole('button', { name: 'Log in' }).click();

    // The projections table, every projection running.
    const trends = page.locator('#projections-body tr[data-projection="trends"]');
    await trends.waitFor();
    await expect.poll(() => page.locator('#projections-body tr').count()).toBeGreaterThanOrEqual(7);
    await expect.poll(() => trends.getAttribute('data-state'), { timeout: 30_000 }).toBe('running');
    await page.locator('#connection', { hasText: 'Live' }).waitFor();

    // The tail opens on what already happened: the registrations before the page was opened.
    await page.locator('#events tbody.event[data-type="UserRegistered"]').first().waitFor();
    // The Type filter offers the domain's event types (from config.json), in the catalogue's order.
    expect(await page.evaluate(`[...document.querySelectorAll('#filter-type option')].map((o) => o.value)`)).toEqual(['', ...eventTypes]);

    // A tweet posted from outside arrives live.
    const text = `Live from the browser test #dashboard ${Date.now()}`;
    const { tweetId } = await command('/v1/tweets', { text });
    const row = tweetRows(text);
    await row.waitFor();
    expect(await row.getAttribute('data-type')).toBe('TweetPosted');
    expect(await row.locator('.type-badge').textContent()).toBe('TweetPosted');
    expect(await row.locator('td.stream button').getAttribute('data-stream')).toBe(`tweet-${tweetId}`);
    expect(await row.locator('td.stream').textContent()).toBe(`tweet-…${tweetId.slice(-8)}`);

    // Filtering restarts the tail: a type that hides it, then TweetPosted again (re-read from the log).
    await page.getByLabel('Type', { exact: true }).selectOption('Followed');
    await row.waitFor({ state: 'detached' });
    await page.locator('#events-empty', { hasText: 'No type Followed events' }).waitFor();
    await page.getByLabel('Type', { exact: true }).selectOption('TweetPosted');
    await row.waitFor();
    expect(await page.locator('#events tbody.event:not([data-type="TweetPosted"])').count()).toBe(0);

    // Paused: events are counted, not shown; resumed: shown.
    await page.getByRole('button', { name: 'Pause' }).click();
    const second = `Second while paused ${Date.now()}`;
    await command('/v1/tweets', { text: second });
    await page.getByRole('button', { name: 'Resume (1 new)' }).waitFor();
    expect(await tweetRows(second).count()).toBe(0);
    await page.getByRole('button', { name: /^Resume/ }).click();
    await tweetRows(second).waitFor();
    await expect.poll(() => page.locator('#events tbody.event').first().textContent()).toContain(second); // newest on top

    // The envelope, expanded.
    const position = await row.getAttribute('data-position');
    await row.getByRole('button', { name: `Show the envelope of event ${position}` }).click();
    const envelope = row.locator('pre.envelope');
    await envelope.waitFor();
    const shown = JSON.parse((await envelope.textContent())!);
    expect(shown).toMatchObject({ position: Number(position), streamId: `tweet-${tweetId}`, streamRevision: 0, type: 'TweetPosted', data: { tweetId, authorId: userId, text, hashtags: ['dashboard'] }, metadata: { actorUserId: userId } });
    await row.getByRole('button', { name: `Show the envelope of event ${position}` }).click();
    await envelope.waitFor({ state: 'hidden' });

    // The stream's history, from its id.
    await row.locator('td.stream button').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: `Stream tweet-${tweetId}` }).waitFor();
    await dialog.locator('li.history-item', { hasText: text }).waitFor();
    expect(await dialog.locator('li.history-item').count()).toBe(1);
    await dialog.getByText('1 event (the whole stream)').waitFor();
    // The author's stream, from the user id in the row's summary: the registration is in it.
    await dialog.getByRole('button', { name: 'Close the stream history' }).click();
    await row.locator(`td.summary button[data-stream="user-${userId}"]`).click();
    await dialog.getByRole('heading', { name: `Stream user-${userId}` }).waitFor();
    await dialog.locator('li.history-item', { hasText: `@${USER.handle} registered` }).waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    // Some variety for the tail and the chart (and the screenshot), on all types again.
    await page.getByRole('button', { name: 'Clear' }).click();
    const operator = (await commands.post('/v1/sessions', { body: { handle: OPERATOR.handle, password: OPERATOR.password } })).body;
    await command(`/v1/users/me/following/${operator.userId}`, undefined, 'put');
    await command('/v1/users/me', { bio: 'Watching the #dashboard' }, 'patch');
    await command(`/v1/tweets/${tweetId}/like`);
    await command(`/v1/tweets/${tweetId}/retweet`);
    for (const words of ['Projections all running', 'Replaying trends next', 'Lag is zero #ops']) {
      const posted = await commands.post('/v1/tweets', { token: operator.accessToken, body: { text: `${words} @${USER.handle}` } });
      expect(posted.status).toBe(202);
      await command(`/v1/tweets/${posted.body.tweetId}/like`);
    }
    await command('/v1/tweets', { text: 'Rates by the minute, stacked by type #dashboard' });
    await tweetRows('Rates by the minute').waitFor();
    expect(await page.locator('#events tbody.event[data-type="TweetLiked"]').count()).toBe(4);
    await page.locator('#legend li[data-type="TweetPosted"]').waitFor();
    await page.locator('#chart svg rect.seg.t-TweetPosted').first().waitFor();

    // Replay: started (202), then finished — no replay in the table, the projection running.
    await page.getByRole('button', { name: 'Replay projection trends' }).click();
    await page.locator('#projections-message', { hasText: 'Replay of trends started' }).waitFor();
    await page.locator('#projections-message', { hasText: 'Replay of trends finished' }).waitFor({ timeout: 60_000 });
    await expect.poll(() => trends.getAttribute('data-replay')).toBe('none');
    await expect.poll(() => trends.getAttribute('data-state')).toBe('running');
    const statuses = await queries.get('/v1/projections');
    expect(statuses.body.items.find((p: { name: string }) => p.name === 'trends')).toMatchObject({ state: 'running', replay: null });

    await page.screenshot({ path: SCREENSHOT });
    expect(problems).toEqual([]);

    // A user without the operator role is told so, and sees no data.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Handle', { exact: true }).fill(USER.handle);
    await page.getByLabel('Password', { exact: true }).fill(USER.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'This account is not an operator' }).waitFor();
    expect(await page.locator('#dashboard-view').isVisible()).toBe(false);

    // A token the APIs refuse (expired, or signed with another secret): a 401, back to the login form.
    await page.evaluate(`sessionStorage.setItem('chirp.dashboard.session', JSON.stringify({ accessToken: 'not-a-token', handle: 'x', roles: ['operator'] }))`);
    await page.reload();
    await page.getByRole('alert').filter({ hasText: 'Your session has expired' }).waitFor();
    await page.getByLabel('Handle', { exact: true }).waitFor();
    expect(problems).toEqual([]);
  }, 120_000);

  it('shows payloads holding markup as text: no element made from them, no script run; password hashes redacted', async () => {
    // After the test above: the login form, after a refused token.
    await page.getByLabel('Handle', { exact: true }).fill(OPERATOR.handle);
    await page.getByLabel('Password', { exact: true }).fill(OPERATOR.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#connection', { hasText: 'Live' }).waitFor();

    const markup = '<img src=x onerror="window.__xss=1">';
    const name = '<b>X</b><svg onload=window.__xss=2>'; // short enough to be quoted whole
    const evil = { handle: 'dash_markup', password: 'markup-password-1', displayName: name };
    expect((await commands.post('/v1/users', { body: evil })).status).toBe(201);
    await command('/v1/users/me', { displayName: name }, 'patch');
    const { tweetId } = await command('/v1/tweets', { text: markup });

    const row = tweetRows(markup);
    await row.waitFor();
    expect(await row.locator('td.summary .summary-text').textContent()).toBe(`user …${userId.slice(-8)}: “${markup}”`);
    const registered = page.locator('#events tbody.event[data-type="UserRegistered"]', { hasText: `@${evil.handle}` });
    expect(await registered.locator('.summary-text').textContent()).toContain(`registered as “${name}”`);
    const renamed = page.locator('#events tbody.event[data-type="ProfileUpdated"]', { hasText: name });
    await renamed.waitFor();

    // The envelope: the text as it was posted; a registration's password hash redacted by the server.
    const position = await row.getAttribute('data-position');
    await row.getByRole('button', { name: `Show the envelope of event ${position}` }).click();
    expect(JSON.parse((await row.locator('pre.envelope').textContent())!).data.text).toBe(markup);
    const registeredAt = await registered.getAttribute('data-position');
    await registered.getByRole('button', { name: `Show the envelope of event ${registeredAt}` }).click();
    const registration = JSON.parse((await registered.locator('pre.envelope').textContent())!);
    expect(registration.data).toMatchObject({ handle: evil.handle, displayName: name, passwordHash: '[redacted]' });

    // And the stream's history.
    await row.locator('td.stream button').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: `Stream tweet-${tweetId}` }).waitFor();
    await dialog.locator('li.history-item', { hasText: markup }).waitFor();

    expect(await page.locator('#events img, #events b, #events svg, #stream-dialog img, #stream-dialog b, #stream-dialog svg').count()).toBe(0);
    expect(await page.evaluate(`document.querySelectorAll('img').length`)).toBe(0);
    expect(await page.evaluate(`typeof window.__xss`)).toBe('undefined');
    expect(problems).toEqual([]);
  }, 60_000);
});
