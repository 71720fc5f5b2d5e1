#!/usr/bin/env node
/*
 * Drives vAMT's operator dashboard (/vamt/ on Karaf's HTTP service) in real headless Chromium
 * (Debian's /usr/bin/chromium) through puppeteer-core, as an operator would: the login form, the
 * VM table, a power button pressed from the keyboard, the recent audit events, a phone-width view.
 *
 * Usage: node dashboard-session.js <dashboard URL, e.g. http://127.0.0.1:53181/vamt/> <screenshot dir> <step...>
 * Steps: login:<user>:<password>    log in; prints the HTTP status and the page's error text, if any
 *        vms                        prints every VM row: name, state, endpoint, link
 *        power:<vm>:<action>        focuses the VM's <action> button with the Tab key, presses Enter,
 *                                   prints the message the next page shows and the VM's state there
 *        wait-state:<vm>:<state>    reloads (at most 20 s) until the VM's state reads <state>
 *        audit                      prints the recent audit events, newest first
 *        phone                      a 360 px wide viewport: prints whether the page needs sideways scrolling
 *        shot:<name>                writes <screenshot dir>/<name>.png (the full page)
 *        view:<name>                the same, of what the window shows
 *        logout                     presses Log out
 * Each step prints ONE JSON line on stdout. Exit codes: 0 all steps ok, 1 a step failed (its line
 * carries "error"), 2 overall timeout (60 s), 3 usage error.
 */
'use strict';

const path = require('path');
const fs = require('fs');
const puppeteer = require(path.join(__dirname, 'node_modules', 'puppeteer-core'));

const [base, shots, ...steps] = process.argv.slice(2);
if (!base || !shots || steps.length === 0) {
    console.error('usage: dashboard-session.js <url> <screenshot dir> <step...>');
    process.exit(3);
}
setTimeout(() => { console.log(JSON.stringify({ error: 'overall timeout' })); process.exit(2); }, 60000).unref();

/** The VM rows as the page shows them. */
async function rows(page) {
    return page.$$eval('#vms tbody tr', trs => trs.map(tr => ({
        name: tr.dataset.vm,
        state: tr.querySelector('td.state').textContent,
        endpoint: tr.querySelector('td[data-label="Endpoint"]').textContent,
        link: (tr.querySelector('a') || {}).href || null,
        buttons: [...tr.querySelectorAll('button')].map(b => b.value),
    })));
}

async function text(page, selector) {
    const el = await page.$(selector);
    return el ? (await el.evaluate(e => e.textContent)).trim() : null;
}

async function step(page, s) {
    const [name, ...args] = s.split(':');
    switch (name) {
        case 'login': {
            const [user, ...pw] = args;
            await page.goto(base, { waitUntil: 'load' });
            await page.type('#user', user);
            await page.type('#password', pw.join(':'));
            const [response] = await Promise.all([
                page.waitForNavigation({ waitUntil: 'load' }),
                page.click('form.login button[type=submit]'),
            ]);
            return { status: response.status(), url: page.url(), error: await text(page, '.error'),
                loggedIn: (await page.$('#vms')) !== null };
        }
        case 'vms':
            return { vms: await rows(page) };
        case 'power': {
            const [vm, action] = args;
            const label = `${action} ${vm}`;
            // keyboard only: Tab until the button is focused (at most 200 presses), then Enter
            for (let i = 0; i < 200; i++) {
                await page.keyboard.press('Tab');
                const focused = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
                if (focused === label) {
                    const [response] = await Promise.all([
                        page.waitForNavigation({ waitUntil: 'load' }),
                        page.keyboard.press('Enter'),
                    ]);
                    const row = (await rows(page)).find(r => r.name === vm);
                    return { tabs: i + 1, status: response.status(), message: await text(page, '#message'),
                        state: row && row.state };
                }
            }
            throw new Error(`no button "${label}" reached with the Tab key`);
        }
        case 'wait-state': {
            const [vm, want] = args;
            const until = Date.now() + 20000;
            let row;
            do {
                await page.goto(base, { waitUntil: 'load' });
                row = (await rows(page)).find(r => r.name === vm);
                if (row && row.state === want) {
                    return { vm, state: row.state };
                }
                await new Promise(r => setTimeout(r, 250));
            } while (Date.now() < until);
            throw new Error(`${vm} still reads "${row && row.state}", not "${want}"`);
        }
        case 'audit':
            await page.goto(base, { waitUntil: 'load' });
            return { events: await page.$$eval('#audit tbody tr', trs => trs.map(tr =>
                [...tr.querySelectorAll('td')].map(td => td.textContent))) };
        case 'phone': {
            await page.setViewport({ width: 360, height: 780 });
            await page.goto(base, { waitUntil: 'load' });
            const sideways = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
            const tooWide = await page.evaluate(() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5)
                .map(e => `${e.tagName.toLowerCase()}.${e.className}: ${e.textContent.slice(0, 40)}`));
            return { width: 360, scrollsSideways: sideways, tooWide };
        }
        case 'shot':
        case 'view': {
            fs.mkdirSync(shots, { recursive: true });
            const file = path.join(shots, `${args[0]}.png`);
            await page.evaluate(() => window.scrollTo(0, 0));
            await page.screenshot({ path: file, fullPage: name === 'shot' });
            return { file };
        }
        case 'logout': {
            await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('header form button')]);
            return { loggedIn: (await page.$('#vms')) !== null };
        }
        default:
            throw new Error(`unknown step ${s}`);
    }
}

(async () => {
    const browser = await puppeteer.launch({
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
    });
    let code = 0;
    try {
        const page = await browser.newPage();
        await page.setViewport({ width: 1000, height: 700 });
        for (const s of steps) {
            try {
                console.log(JSON.stringify({ step: s.replace(/^login:([^:]*):.*/, 'login:$1'), ...await step(page, s) }));
            } catch (e) {
                console.log(JSON.stringify({ step: s.replace(/^login:([^:]*):.*/, 'login:$1'), error: String(e.message || e) }));
                code = 1;
                break;
            }
        }
    } finally {
        await browser.close();
    }
    process.exit(code);
})().catch(e => { console.log(JSON.stringify({ error: String(e.message || e) })); process.exit(1); });
