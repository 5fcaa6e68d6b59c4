// Drives code-server in headless Chromium with the keyboard only (VS Code's overlays swallow
// mouse clicks): opens examples/demo's orders.py, types a function, waits for Infill's ghost
// text, accepts it with Tab, saves and checks the file on disk; runs the code action
// "Infill: Add documentation" from the Ctrl+. menu and checks its edit; reads the status bar.
// Environment: INFILL_VSCODE_URL, INFILL_PROJECT, INFILL_WORK, INFILL_CHROMIUM, and
// INFILL_SCREENSHOTS (a folder for the documentation's screenshots, or empty).
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const url = process.env.INFILL_VSCODE_URL;
const project = process.env.INFILL_PROJECT;
const work = process.env.INFILL_WORK;
const screenshots = process.env.INFILL_SCREENSHOTS || '';
const file = path.join(project, 'src', 'orders.py');
const modifier = 'Control';

const results = [];
function log(message) {
  console.log(`vscode: ${message}`);
}
function check(name, ok, detail) {
  results.push({ name, ok });
  log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
  if (!ok) {
    throw new Error(`${name} failed${detail ? `: ${detail}` : ''}`);
  }
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a truthy value or `ms` pass. */
async function until(ms, probe, every = 250) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) {
      return value;
    }
    if (Date.now() > end) {
      return value;
    }
    await sleep(every);
  }
}

/** Text as Monaco renders it: non-breaking spaces back to spaces. */
const plain = (text) => (text || '').replace(/\u00a0/g, ' ');

async function screenshot(page, name, clip) {
  if (!screenshots) {
    return;
  }
  fs.mkdirSync(screenshots, { recursive: true });
  const target = path.join(screenshots, `vscode-${name}.png`);
  await page.screenshot({ path: target, clip });
  log(`screenshot ${target}`);
}

/** The region around an element, for a small screenshot. */
async function around(locator, page, pad = { x: 16, y: 16, width: 560, height: 220 }) {
  const box = await locator.boundingBox();
  const viewport = page.viewportSize();
  if (!box) {
    return undefined;
  }
  const x = Math.max(0, box.x - pad.x);
  const y = Math.max(0, box.y - pad.y);
  return {
    x,
    y,
    width: Math.min(pad.width, viewport.width - x),
    height: Math.min(pad.height, viewport.height - y),
  };
}

async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10000 });
  await page.keyboard.type(title, { delay: 10 });
  await sleep(400);
  await page.keyboard.press('Enter');
}

async function notifications(page) {
  return page.locator('.notifications-toasts .notification-list-item-message').allTextContents();
}

/** Infill's status-bar item (VS Code gives it the id `<extension id>.<item id>`). */
function statusItem(page) {
  return page.locator('.statusbar-item[id$="infill.status"]');
}

async function statusText(page) {
  const item = statusItem(page);
  if ((await item.count()) === 0) {
    return '';
  }
  return plain(await item.first().textContent()).trim();
}

/** The pid of the infill server this test's editor started (it logs to this run's file). */
function serverProcess() {
  const logFile = path.join(work, 'infill.log');
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.includes('lsp') && args.includes(logFile)) {
        return Number(entry);
      }
    } catch {
      // The process ended meanwhile.
    }
  }
  return undefined;
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.INFILL_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1180, height: 720 } });
  page.on('pageerror', (error) => log(`page error: ${error.message}`));
  try {
    await run(page);
  } catch (error) {
    const failure = path.join(work, 'failure.png');
    await page.screenshot({ path: failure }).catch(() => undefined);
    log(`notifications: ${JSON.stringify(await notifications(page).catch(() => []))}`);
    log(`status bar: ${JSON.stringify(await statusText(page).catch(() => ''))}`);
    log(`screenshot of the failure: ${failure}`);
    throw error;
  } finally {
    await browser.close();
  }
}

async function run(page) {
  // Wait for code-server itself, then for the workbench.
  await until(60000, async () => {
    try {
      return (await fetch(url)).ok;
    } catch {
      return false;
    }
  }, 500);
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 90000 });
  log('workbench loaded');

  // Open src/orders.py with Quick Open.
  await until(20000, async () => (await page.locator('.explorer-folders-view .monaco-list-row').count()) > 0);
  await page.keyboard.press(`${modifier}+P`);
  await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 10000 });
  await page.keyboard.type('orders.py', { delay: 20 });
  await until(10000, async () => (await page.locator('.quick-input-list .monaco-list-row').count()) > 0);
  await page.keyboard.press('Enter');
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.waitFor({ timeout: 20000 });
  await page.locator('.tab.active', { hasText: 'orders.py' }).waitFor({ timeout: 20000 });
  log('orders.py is open');

  // The extension activates on Python and starts the server.
  const started = await until(60000, async () => /Infill/.test(await statusText(page)));
  check('the status-bar item appears', Boolean(started), JSON.stringify(await statusText(page)));

  // Type a new function at the end of the file, slowly, as a user would.
  await page.keyboard.press(`${modifier}+End`);
  await page.keyboard.press('End');
  await page.keyboard.type('\n\n\ndef count_items(order):\n    items = order["items"]\n    return ', { delay: 40 });
  const ghost = page.locator('.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text-decoration-preview');
  let shown = await until(45000, async () => (await ghost.count()) > 0);
  if (!shown) {
    // Ask explicitly once (Alt+\ is VS Code's "Trigger Inline Suggestion").
    await page.keyboard.press('Alt+Backslash');
    shown = await until(45000, async () => (await ghost.count()) > 0);
  }
  const ghostText = shown ? plain((await ghost.allTextContents()).join('')) : '';
  check('ghost text appears', Boolean(shown) && ghostText.trim().length > 0, JSON.stringify(ghostText));
  await screenshot(page, 'ghost-text', await around(page.locator('.monaco-editor .view-line', { hasText: 'def count_items' }), page, { x: 80, y: 150, width: 720, height: 260 }));

  await page.keyboard.press('Tab');
  await until(5000, async () => (await ghost.count()) === 0);
  await page.keyboard.press(`${modifier}+S`);
  const firstLine = ghostText.split('\n')[0].trim();
  const saved = await until(15000, () => {
    const text = fs.readFileSync(file, 'utf8');
    const line = text.split('\n').find((l) => l.startsWith('    return ') && text.indexOf(l) > text.indexOf('def count_items'));
    return line && line.includes(firstLine) ? line : undefined;
  });
  check('Tab accepts the suggestion and it is saved to disk', Boolean(saved), JSON.stringify(saved || fs.readFileSync(file, 'utf8').slice(-200)));

  // The status bar shows the last completion's latency.
  const latency = await until(15000, async () => /Infill \d+ ms/.test(await statusText(page)));
  check('the status bar shows the last latency', Boolean(latency), JSON.stringify(await statusText(page)));
  await screenshot(page, 'status-bar', await around(statusItem(page), page, { x: 420, y: 40, width: 600, height: 64 }));

  // Ctrl+Right accepts the next word of a suggestion (VS Code's acceptNextWord, through Infill).
  await page.keyboard.press(`${modifier}+End`);
  await page.keyboard.type('\n\n\ndef total_quantity(order):\n    return ', { delay: 40 });
  let partial = await until(45000, async () => (await ghost.count()) > 0);
  if (!partial) {
    await page.keyboard.press('Alt+Backslash');
    partial = await until(45000, async () => (await ghost.count()) > 0);
  }
  const offered = partial ? plain((await ghost.allTextContents()).join('')) : '';
  await page.keyboard.press(`${modifier}+ArrowRight`);
  // The command runs in the extension host, a round trip away: save until the word is there.
  const word = await until(15000, async () => {
    await page.keyboard.press(`${modifier}+S`);
    await sleep(300);
    const text = fs.readFileSync(file, 'utf8');
    const line = text.slice(text.indexOf('def total_quantity')).split('\n')[1] || '';
    return line.startsWith('    return ') && line.length > '    return '.length ? line : undefined;
  }, 500);
  await page.keyboard.press('Escape');
  check('Ctrl+Right accepts part of the suggestion', Boolean(partial) && Boolean(word), JSON.stringify({ offered, word }));

  // Infill: Show status, from the command palette: the server counted the accepted suggestion.
  await runCommand(page, 'Infill: Show status');
  const statusTab = page.locator('.tab', { hasText: 'Infill status' });
  await statusTab.waitFor({ timeout: 20000 });
  const statusDocument = page.locator('.editor-group-container.active .view-lines');
  const accepted = await until(10000, async () => {
    const text = plain(await statusDocument.first().textContent().catch(() => ''));
    return /Accepted \| [1-9]\d* whole, [1-9]\d* in part/.test(text) && text.includes(`(${path.join(work, 'bin', 'infill')})`)
      ? text
      : undefined;
  });
  check('Show status names the configured binary and the accepted suggestions', Boolean(accepted), JSON.stringify(accepted || plain(await statusDocument.first().textContent().catch(() => ''))));
  await page.keyboard.press(`${modifier}+1`);

  // Infill: Toggle suggestions, twice: off, then on again.
  await runCommand(page, 'Infill: Toggle suggestions');
  const off = await until(10000, async () => /Infill: off/.test(await statusText(page)));
  check('Toggle suggestions turns them off', Boolean(off), JSON.stringify(await statusText(page)));
  await runCommand(page, 'Infill: Toggle suggestions');
  const on = await until(10000, async () => !/off/.test(await statusText(page)));
  check('and on again', Boolean(on), JSON.stringify(await statusText(page)));
  await page.keyboard.press(`${modifier}+1`);

  // A code action chosen with the keyboard: Ctrl+. on the new function's header.
  const before = fs.readFileSync(file, 'utf8');
  await page.keyboard.press(`${modifier}+F`);
  await page.keyboard.type('def count_items', { delay: 10 });
  await page.keyboard.press('Escape');
  await page.keyboard.press('Home');
  let menuEntries = [];
  const wanted = 'Infill: Add documentation';
  const menu = page.locator('.action-widget');
  const listed = await until(120000, async () => {
    await page.keyboard.press(`${modifier}+Period`);
    const appeared = await until(4000, async () => (await menu.locator('.monaco-list-row').count()) > 0);
    if (appeared) {
      menuEntries = (await menu.locator('.monaco-list-row').allTextContents()).map((t) => plain(t).trim());
      if (menuEntries.some((t) => t.includes(wanted))) {
        return true;
      }
    }
    await page.keyboard.press('Escape');
    await sleep(3000);
    return false;
  }, 0);
  check(`the Ctrl+. menu lists "${wanted}"`, Boolean(listed), JSON.stringify(menuEntries));
  await screenshot(page, 'code-actions', await around(menu, page, { x: 280, y: 40, width: 720, height: 260 }));

  // Arrow keys to the entry, Enter to run it.
  let chosen = false;
  for (let i = 0; i < menuEntries.length + 2 && !chosen; i++) {
    const focused = plain(await menu.locator('.monaco-list-row.focused').first().textContent().catch(() => ''));
    if (focused.includes(wanted)) {
      chosen = true;
      break;
    }
    await page.keyboard.press('ArrowDown');
    await sleep(150);
  }
  check('the entry is chosen with the arrow keys', chosen);
  await page.keyboard.press('Enter');
  // Resolving runs the model; the edit lands in the editor, then it is saved.
  // Only a change of the function's text counts (not, say, a stray newline from Enter).
  const body = (text) => {
    const start = text.indexOf('def count_items');
    const end = text.indexOf('\ndef ', start + 1);
    return text.slice(start, end < 0 ? undefined : end).replace(/\s+/g, '');
  };
  const documented = await until(240000, async () => {
    await page.keyboard.press(`${modifier}+S`);
    await sleep(500);
    const now = fs.readFileSync(file, 'utf8');
    return body(now) !== body(before) ? now : undefined;
  }, 2000);
  const after = documented || fs.readFileSync(file, 'utf8');
  const errors = (await notifications(page)).filter((t) => /infill|codeAction|failed/i.test(t));
  check(
    'the code action edits the function',
    Boolean(documented) && after.includes('def count_items'),
    documented ? JSON.stringify(after.slice(after.indexOf('def count_items'), after.indexOf('def count_items') + 240)) : `no change; notifications ${JSON.stringify(errors)}`,
  );

  // The server crashes: the extension says so and starts it again.
  const victim = serverProcess();
  check('the server process is found', victim !== undefined);
  process.kill(victim, 'SIGKILL');
  const restartedAgain = await until(60000, () => {
    const next = serverProcess();
    return next !== undefined && next !== victim ? next : undefined;
  });
  const told = (await notifications(page)).some((t) => /stopped unexpectedly/.test(t));
  check('a crashed server is restarted, with a message', Boolean(restartedAgain) && told, JSON.stringify(await notifications(page)));
  await until(60000, async () => /^\W*Infill( \d+ ms)?$/.test(await statusText(page)));

  const status = await statusText(page);
  check('the status bar reads as ready', /^Infill( \d+ ms)?$/.test(status.replace(/^\W+/, '')), JSON.stringify(status));
  log(`PASS ${results.length} checks`);
}

main().then(
  () => process.exit(0),
  (error) => {
    log(`FAIL ${error.message}`);
    process.exit(1);
  },
);
