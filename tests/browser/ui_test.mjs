// The triage page in a real browser: Debian's chromium driven by playwright-core. Sets up
// protected bare repositories with real pushes, starts `secretgate serve`, then signs in,
// filters, closes an alert as a false positive with a comment, bulk-closes, approves a bypass
// request, and checks the store with the CLI afterwards.
//
// usage: node ui_test.mjs --bin PATH/secretgate --source REPO_DIR [--screenshots DIR]
import { chromium } from 'playwright-core';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';

const arg = (name, def) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def; };
const BIN = arg('--bin') && path.resolve(arg('--bin'));
const SRC = arg('--source') && path.resolve(arg('--source'));
const SHOTS = arg('--screenshots', '');
if (!BIN || !SRC) { console.error('usage: node ui_test.mjs --bin SECRETGATE --source REPO_DIR'); process.exit(2); }

let passed = 0, failed = 0;
function check(cond, what) {
  if (cond) { passed++; console.log('ok   ' + what); } else { failed++; console.log('FAIL ' + what); }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'secretgate-ui-'));
const root = path.join(tmp, 'root');
const env = { ...process.env, HOME: path.join(tmp, 'home'), GIT_CONFIG_NOSYSTEM: '1', SECRETGATE_CONFIG: path.join(tmp, 'config.toml') };
for (const k of Object.keys(env)) if (k.startsWith('GIT_') && k !== 'GIT_CONFIG_NOSYSTEM') delete env[k];
fs.mkdirSync(env.HOME, { recursive: true });
fs.writeFileSync(path.join(env.HOME, '.gitconfig'), '[user]\n\tname = UI Test\n\temail = ui@example.invalid\n[init]\n\tdefaultBranch = main\n');
fs.writeFileSync(env.SECRETGATE_CONFIG, `rules = ['${SRC}/rules']\ncache_dir = '/tmp/secretgate-test-cache'\ntimeout = 120\nserver_dir = '${tmp}/server'\n`);

const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
const sg = (...args) => run(BIN, args);
const tryRun = (cmd, args, opts) => { try { return { code: 0, out: run(cmd, args, opts) }; } catch (e) { return { code: e.status, out: String(e.stdout), err: String(e.stderr) }; } };

// Fake credentials of the shapes the rules know: a GitHub classic token with its CRC32 checksum.
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function crc32(s) {
  let c = ~0;
  for (const b of Buffer.from(s)) { c ^= b; for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xEDB88320 & -(c & 1)); }
  return (~c) >>> 0;
}
function githubToken() {
  let r = '';
  for (const b of crypto.randomBytes(30)) r += B62[b % 62];
  let v = crc32(r), s = '';
  do { s = B62[v % 62] + s; v = Math.floor(v / 62); } while (v > 0);
  return 'ghp_' + r + s.padStart(6, '0');
}
function awsKey() {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let r = 'AKIA';
  for (const b of crypto.randomBytes(16)) r += A[b % 32];
  return r;
}

function makeRepo(full, gitConfig) {
  const bare = path.join(root, full + '.git');
  const work = path.join(tmp, 'work', full);
  fs.mkdirSync(path.dirname(bare), { recursive: true });
  run('git', ['init', '-q', '--bare', bare]);
  sg('protect', '--repo', bare);
  for (const [k, v] of gitConfig) run('git', ['-C', bare, 'config', k, v]);
  fs.mkdirSync(work, { recursive: true });
  run('git', ['init', '-q', work]);
  run('git', ['-C', work, 'remote', 'add', 'origin', bare]);
  return { bare, work };
}
function commitAndPush(repo, files, pushArgs = []) {
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(repo.work, name), content);
  run('git', ['-C', repo.work, 'add', '-A']);
  run('git', ['-C', repo.work, 'commit', '-q', '-m', 'change']);
  return tryRun('git', ['-C', repo.work, 'push', ...pushArgs, 'origin', 'HEAD:refs/heads/main'], { env: { ...env, GL_USERNAME: 'pat' } });
}

const HOSTILE = '<img src=x onerror="window.__xss=1">.env';
const lib = makeRepo('acme/lib', [['secretgate.mode', 'audit']]);
const pushedLib = commitAndPush(lib, {
  'a.env': 'T=' + githubToken() + '\n', 'b.env': 'T=' + githubToken() + '\n', 'c.env': 'T=' + githubToken() + '\n',
  [HOSTILE]: 'T=' + githubToken() + '\n', 'aws.txt': 'AWS_ACCESS_KEY_ID=' + awsKey() + '\n',
});
check(pushedLib.code === 0, 'audit-mode push into acme/lib recorded its alerts');
const app = makeRepo('acme/app', [['secretgate.bypass', 'request']]);
const rejected = commitAndPush(app, { 'app.env': 'T=' + githubToken() + '\n' });
check(rejected.code !== 0, 'push with a secret into acme/app is rejected' + (rejected.code ? '' : ': ' + JSON.stringify(rejected)));
const asked = tryRun('git', ['-C', app.work, 'push', '-o', 'secretgate.bypass-request=fixture for the UI test', 'origin', 'HEAD:refs/heads/main'],
  { env: { ...env, GL_USERNAME: 'pat' } });
check(asked.code !== 0 && /bypass request #1 filed/.test(asked.err), 'bypass request #1 filed by the push');

const token = sg('tokens', 'create', 'rev', '--role', 'triage').trim();
const portFile = path.join(tmp, 'port');
const server = spawn(BIN, ['serve', '--root', root, '--listen', '127.0.0.1:0', '--port-file', portFile, '--log-file', path.join(tmp, 'serve.log')],
  { env, stdio: ['ignore', 'ignore', 'inherit'] });
let port = 0;
for (let i = 0; i < 400 && !port; i++) {
  if (fs.existsSync(portFile)) port = Number(fs.readFileSync(portFile, 'utf8').trim());
  else await new Promise((r) => setTimeout(r, 25));
}
const base = 'http://127.0.0.1:' + port;

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'secretgate-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const external = [];
context.on('request', (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
const page = context.pages()[0] || await context.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
page.on('dialog', (d) => { errors.push('dialog: ' + d.message()); d.dismiss(); });
const shot = async (name) => { if (SHOTS) await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true }); };

try {
  // Sign in.
  await page.goto(base + '/');
  await page.fill('#token', token);
  await page.click('#signin');
  await page.waitForSelector('#alerts tbody tr');
  check((await page.textContent('#who')).includes('rev (triage)'), 'signed in as rev (triage)');
  const cookies = await context.cookies(base);
  const sess = cookies.find((c) => c.name === 'sg_session');
  check(sess && sess.httpOnly && sess.sameSite === 'Strict', 'session cookie is HttpOnly and SameSite=Strict');
  check(!(await page.evaluate(() => document.cookie)).includes('sg_session'), 'the page script cannot read the cookie');
  const noCsrf = await page.evaluate(async () => (await fetch('/api/v3/repos/acme/lib/secret-scanning/alerts/1',
    { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: '{"state":"resolved","resolution":"revoked"}' })).status);
  check(noCsrf === 403, 'a change without the CSRF token is refused (403)');

  // Filter by repository, then by type.
  await page.selectOption('#f-repo', 'acme/lib');
  await page.waitForURL(/repo=acme%2Flib/);
  // The unfiltered rows stay until the filtered listing arrives: wait for the re-render, not for
  // any row (that raced the request and flaked on a cold machine).
  const libRows = await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#alerts tbody tr')];
    return rows.length > 0 && rows.every((r) => r.textContent.includes('acme/lib')) && rows.length;
  }, null, { timeout: 15000 }).then((h) => h.jsonValue(), () => 0);
  check(libRows === 5, 'repository filter shows the 5 alerts of acme/lib');
  check((await page.textContent('#counts')).includes('open'), 'counts are shown');
  await page.selectOption('#f-type', 'aws-access-key-id');
  await page.waitForURL(/secret_type=aws-access-key-id/);
  await page.waitForFunction(() => document.querySelectorAll('#alerts tbody tr').length === 1);
  check((await page.textContent('#alerts tbody')).includes('aws.txt'), 'type filter shows the AWS key only');
  await page.selectOption('#f-type', '');
  await page.waitForFunction(() => document.querySelectorAll('#alerts tbody tr').length === 5);

  // A hostile file name renders as text.
  const cells = await page.locator('#alerts td.loc').allTextContents();
  check(cells.includes(HOSTILE + ':1'), 'a file name holding markup is shown as text');
  check((await page.locator('#alerts img').count()) === 0 && !(await page.evaluate(() => window.__xss)), 'and never becomes markup');
  await shot('alerts');

  // Close one alert as a false positive with a comment.
  const row = page.locator('#alerts tbody tr', { hasText: 'a.env' });
  await row.locator('a').click();
  await page.waitForSelector('#close-alert');
  await page.selectOption('#close-reason', 'false_positive');
  await page.fill('#close-comment', 'test fixture <b>not</b> a secret');
  await page.click('#close-alert');
  await page.waitForFunction(() => (document.querySelector('#state') || {}).textContent === 'resolved (false_positive)');
  check((await page.textContent('#timeline')).includes('test fixture <b>not</b> a secret'), 'the comment is in the timeline, as text');
  check((await page.textContent('#locations')).includes('a.env'), 'the alert page lists its locations');
  await shot('alert');
  const closedNumber = Number(page.url().split('/').pop());

  // Bulk close two more.
  await page.goto(base + '/?repo=acme%2Flib&state=open');
  await page.waitForFunction(() => document.querySelectorAll('#alerts tbody tr').length === 4);
  for (const name of ['b.env', 'c.env']) await page.locator('#alerts tbody tr', { hasText: name }).locator('input.pick').check();
  await page.selectOption('#bulk-reason', 'used_in_tests');
  await page.fill('#bulk-comment', 'bulk: fixtures');
  await page.click('#bulk-close');
  await page.waitForFunction(() => document.querySelectorAll('#alerts tbody tr').length === 2);
  check((await page.textContent('#toast')).includes('Closed 2 alerts'), 'bulk close closed 2 alerts');

  // Approve the bypass request.
  await page.click('#nav a[data-nav="bypass"]');
  await page.waitForSelector('.bypass');
  const card = page.locator('.bypass', { hasText: 'fixture for the UI test' });
  await card.locator('.review-comment').fill('ok for the fixture');
  await card.locator('.approve').click();
  await page.waitForFunction(() => document.querySelectorAll('.bypass').length === 0);
  check((await page.textContent('#toast')).includes('approved'), 'bypass request approved in the page');
  await page.goto(base + '/acme/app/security/secret-scanning/bypass-requests/1');
  await page.waitForSelector('.bypass .status');
  check((await page.textContent('.bypass .status')) === 'approved', 'the request page shows it approved');

  // Metrics.
  await page.click('#nav a[data-nav="metrics"]');
  await page.waitForSelector('#by-type tbody tr');
  check((await page.textContent('#by-repo')).includes('acme/app'), 'metrics: open alerts by repository');
  check((await page.textContent('#pushes')).length > 0, 'metrics: pushes by day');
  await shot('metrics');

  check(errors.length === 0, 'no script errors or dialogs' + (errors.length ? ': ' + errors.join('; ') : ''));
  check(external.length === 0, 'no request left the server (offline page)' + (external.length ? ': ' + external.join(' ') : ''));

  // The store, through the CLI, shows what the page did.
  const alerts = JSON.parse(sg('alerts', 'list', '--format', 'json', '--repo', lib.bare));
  const closed = alerts.find((a) => a.number === closedNumber);
  check(closed.state === 'resolved' && closed.resolution === 'false_positive' && closed.resolved_by === 'rev' &&
        closed.resolution_comment === 'test fixture <b>not</b> a secret', 'store: closed as false positive by rev with the comment');
  check(alerts.filter((a) => a.resolution === 'used_in_tests' && a.resolution_comment === 'bulk: fixtures').length === 2, 'store: 2 bulk-closed as used_in_tests');
  check(alerts.filter((a) => a.state === 'open').length === 2, 'store: the other 2 still open');
  const requests = JSON.parse(sg('bypass', 'list', '--format', 'json', '--repo', app.bare));
  check(requests[0].status === 'approved' && requests[0].reviewer === 'rev' && requests[0].review_comment === 'ok for the fixture', 'store: request approved by rev');
  const through = tryRun('git', ['-C', app.work, 'push', 'origin', 'HEAD:refs/heads/main'], { env: { ...env, GL_USERNAME: 'pat' } });
  check(through.code === 0, 'the requester can now push');
  check(sg('store', 'verify', '--repo', lib.bare).includes('ok:'), 'store verify: ok');
} catch (e) {
  failed++;
  console.log('FAIL ' + (e && e.stack ? e.stack : e));
  await shot('failure').catch(() => {});
} finally {
  await context.close();
  server.kill('SIGTERM');
  fs.rmSync(userDataDir, { recursive: true, force: true });
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
