// Drives vAMT's per-VM web UI in real headless Chromium (puppeteer-core, Debian's chromium) for WebUiIT.
// Usage: node webui-browser.js <base-url> <user> <password> <screenshot-dir> <step>...
// Steps: status, phone, hardware, remote, power:<on|off|reset|cycle>, audit, events, page:<path>.
// Prints one JSON line per step: {"step":..., ...}; exits 1 on an error it could not report as a step.
'use strict';
const path = require('path');
const puppeteer = require('puppeteer-core');

const [base, user, password, shots, ...steps] = process.argv.slice(2);

function out(step, fields) {
  process.stdout.write(JSON.stringify(Object.assign({ step }, fields)) + '\n');
}

// What a page shows: its title, the menu, the sections (id, heading), dl pairs and table rows, errors.
async function read(page) {
  return page.evaluate(() => {
    const text = (e) => (e ? e.textContent.trim() : null);
    const pairs = {};
    document.querySelectorAll('dl').forEach((dl) => {
      dl.querySelectorAll('dt').forEach((dt) => { pairs[text(dt)] = text(dt.nextElementSibling); });
    });
    return {
      title: document.title,
      h1: text(document.querySelector('h1')),
      menu: [...document.querySelectorAll('nav a')].map((a) => a.getAttribute('href')),
      sections: [...document.querySelectorAll('main section')].map((s) => s.id),
      pairs,
      rows: Object.fromEntries([...document.querySelectorAll('main section')].map((s) =>
        [s.id, [...s.querySelectorAll('tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent.trim()))])),
      buttons: [...document.querySelectorAll('button')].map((b) => b.value),
      notice: text(document.querySelector('.notice')),
      error: text(document.querySelector('.error')),
    };
  });
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
}

(async () => {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // the endpoint's TLS certificate is vAMT's self-signed one
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage',
      '--ignore-certificate-errors'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1000, height: 800 });
    await page.authenticate({ username: user, password });   // Chromium answers the Digest challenge itself
    for (const step of steps) {
      if (step === 'status') {
        const r = await page.goto(base + '/', { waitUntil: 'load' });
        out(step, Object.assign({ status: r.status(), url: page.url(), server: r.headers()['server'] }, await read(page)));
        await shot(page, 'status-' + user);
      } else if (step === 'hardware') {
        const r = await page.goto(base + '/hw-sys.htm', { waitUntil: 'load' });
        out(step, Object.assign({ status: r.status() }, await read(page)));
        await shot(page, 'hardware-' + user);
      } else if (step === 'remote') {
        const r = await page.goto(base + '/remote.htm', { waitUntil: 'load' });
        out(step, Object.assign({ status: r.status() }, await read(page)));
        await shot(page, 'remote-' + user);
      } else if (step.startsWith('power:')) {
        const action = step.substring(6);
        await page.goto(base + '/remote.htm', { waitUntil: 'load' });
        // keyboard use: focus the button and press Enter, as someone without a mouse would
        await page.focus('button[value="' + action + '"]');
        const [r] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
        out(step, Object.assign({ status: r.status(), url: page.url() }, await read(page)));
        await shot(page, 'remote-after-' + action + '-' + user);
      } else if (step === 'audit' || step === 'events') {
        const r = await page.goto(base + '/' + step + '.htm', { waitUntil: 'load' });
        out(step, Object.assign({ status: r.status() }, await read(page)));
        await shot(page, step + '-' + user);
      } else if (step === 'phone') {
        await page.setViewport({ width: 360, height: 740 });
        const r = await page.goto(base + '/index.htm', { waitUntil: 'load' });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        out(step, { status: r.status(), overflow });
        await shot(page, 'status-phone-' + user);
        await page.setViewport({ width: 1000, height: 800 });
      } else if (step.startsWith('page:')) {
        const r = await page.goto(base + step.substring(5), { waitUntil: 'load' });
        const body = await page.evaluate(() => document.body ? document.body.innerText : '');
        out(step, Object.assign({ status: r.status(), server: r.headers()['server'], body }, await read(page)));
      } else {
        out(step, { error: 'unknown step' });
      }
    }
  } finally {
    await browser.close();
  }
})().catch((e) => {
  process.stderr.write('webui-browser: ' + (e && e.stack || e) + '\n');
  process.exit(1);
});
