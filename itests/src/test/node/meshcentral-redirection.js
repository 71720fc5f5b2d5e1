#!/usr/bin/env node
/*
 * Opens Intel AMT redirection sessions (port 16994/16995) on a vAMT endpoint with MeshCentral's
 * own redirection client, loaded unchanged from the installed npm package:
 *
 *   public/scripts/amt-redir-ws-0.1.0.js  CreateAmtRedirect: session start, Digest authentication,
 *                                         SOL start/data/keep-alive, KVM start (0x40/0x41)
 *   public/scripts/amt-desktop-0.0.2.js   CreateAmtRemoteDesktop: MeshCentral's RFB viewer (the one
 *                                         that refuses tiles larger than 64x64)
 *   public/scripts/common-0.0.1.js        IntToStrX, ShortToStr, ... helpers both use
 *   public/scripts/zlib*.js               ZLIB, which the viewer initialises
 *
 * In MeshCentral these run in the browser and reach AMT through the server's web relay
 * (webrelay.ashx?p=2), which passes the redirection bytes through unchanged. Here a small
 * WebSocket stand-in connects straight to the endpoint instead, and a canvas stand-in receives
 * what the viewer draws. hex_md5 (from amt-0.2.0.js in the browser) is node's MD5.
 *
 * With --relay, the WebSocket is a real one (the ws package MeshCentral itself uses) to the given
 * MeshCentral server's webrelay.ashx, logged in as a MeshCentral user: the bytes then travel as in a
 * browser, through MeshCentral's relay and, for a CIRA-connected device, through its MPS and the
 * device's CIRA tunnel. <host> is then MeshCentral's node id, and MeshCentral puts its own stored
 * AMT credentials into the Digest authentication (its redirection interceptor).
 *
 * Usage: node meshcentral-redirection.js [--tls] [--relay <https://server:port> <mc-user> <mc-password>]
 *                                        <host> <port> <user> <password> <step...>
 *        --tls: the port is the TLS one (16995); MeshCentral's TLS options, no certificate check
 * Steps: sol          SOL session: log in on the serial console if needed, run a command, read its output
 *        kvm          KVM session: RFB handshake and the first framebuffer update; prints the frame size
 *        refused:sol  SOL session start whose login must fail (wrong password)
 * Each step prints ONE JSON line on stdout. Exit: 0 all ok, 1 a step failed, 2 timeout, 3 usage.
 */
'use strict';

console.log = (...args) => console.error(...args);

const path = require('path');
const fs = require('fs');
const vm = require('vm');
const net = require('net');
const tls = require('tls');
const crypto = require('crypto');

const SCRIPTS = path.join(__dirname, 'node_modules', 'meshcentral', 'public', 'scripts');
const STEP_TIMEOUT_MS = parseInt(process.env.VAMT_CLIENT_TIMEOUT_MS || '60000', 10);

const args = process.argv.slice(2);
const useTls = args[0] === '--tls';
if (useTls) args.shift();
let relay = null;
if (args[0] === '--relay') {
    const [, server, mcUser, mcPassword] = args.splice(0, 4);
    relay = { server: new URL(server), mcUser, mcPassword };
}
const [host, portText, user, password, ...steps] = args;
if (!host || !portText || !user || password === undefined || steps.length === 0) {
    process.stderr.write('usage: meshcentral-redirection.js <host> <port> <user> <password> <step...>\n');
    process.exit(3);
}
const port = parseInt(portText, 10);

/** The browser globals MeshCentral's scripts use, and nothing else. */
function browserContext() {
    /** The browser's WebSocket to MeshCentral's webrelay.ashx, logged in with the MeshCentral user's name and password. */
    class MeshCentralRelaySocket {
        constructor(url) {
            const WebSocket = require('ws');
            const target = new URL(url.replace(/^ws/, 'http'));
            target.searchParams.set('user', relay.mcUser);
            target.searchParams.set('pass', relay.mcPassword);
            this.readyState = 0;
            this.binaryType = 'arraybuffer';
            // the test's own MeshCentral on loopback, with its self-signed certificate
            this.ws = new WebSocket(target.toString().replace(/^http/, 'ws'), { rejectUnauthorized: false });
            this.ws.on('open', () => { this.readyState = 1; if (this.onopen) this.onopen(); });
            this.ws.on('message', (b, isBinary) => {
                if (!isBinary) { process.stderr.write('relay text: ' + b.toString() + '\n'); }
                const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.length);
                if (this.onmessage) this.onmessage({ data: ab });
            });
            this.ws.on('close', (code, reason) => {
                process.stderr.write('relay closed: ' + code + ' ' + reason + '\n');
                this.readyState = 3; if (this.onclose) this.onclose();
            });
            this.ws.on('error', (e) => { process.stderr.write('relay error: ' + e.message + '\n'); });
        }
        send(arrayBuffer) { this.ws.send(Buffer.from(new Uint8Array(arrayBuffer))); }
        close() { this.readyState = 3; this.ws.close(); }
    }
    MeshCentralRelaySocket.OPEN = 1;

    class RelaySocket {
        // Stands in for the browser's WebSocket to webrelay.ashx?p=2: the relay copies bytes both ways.
        constructor(url) {
            const q = new URL(url.replace(/^ws/, 'http')).searchParams;
            this.readyState = 0;
            this.binaryType = 'arraybuffer';
            const target = { host: q.get('host'), port: parseInt(q.get('port'), 10) };
            const onConnect = () => { this.readyState = 1; if (this.onopen) this.onopen(); };
            this.sock = q.get('tls') === '1'
                // what MeshCentral's relay uses towards AMT
                ? tls.connect({ ...target, rejectUnauthorized: false, ciphers: 'RSA+AES:!aNULL:!MD5:!DSS', minVersion: 'TLSv1' }, onConnect)
                : net.connect(target, onConnect);
            this.sock.on('data', (b) => {
                const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.length);
                if (this.onmessage) this.onmessage({ data: ab });
            });
            this.sock.on('close', () => { this.readyState = 3; if (this.onclose) this.onclose(); });
            this.sock.on('error', () => { });
        }
        send(arrayBuffer) { this.sock.write(Buffer.from(new Uint8Array(arrayBuffer))); }
        close() { this.readyState = 3; this.sock.destroy(); }
    }
    RelaySocket.OPEN = 1;

    const drawn = { images: 0, pixels: 0 };
    const canvasElement = { width: 0, height: 0, style: {} };
    const context2d = {
        canvas: canvasElement,
        fillStyle: '',
        fillRect() { },
        createImageData(w, h) { return { width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }; },
        putImageData(image) { drawn.images++; drawn.pixels += image.width * image.height; },
        drawImage() { },
        setTransform() { },
        rotate() { },
    };
    canvasElement.getContext = () => context2d;
    const document = {
        getElementById: () => canvasElement,
        createElement: () => ({ getContext: () => context2d, style: {} }),
        location: { href: 'http://meshcentral.invalid/' },
    };
    const ctx = {
        console, setTimeout, clearTimeout, setInterval, clearInterval, Uint8Array, Uint8ClampedArray,
        Uint16Array, Uint32Array, Int32Array, ArrayBuffer, DataView, String, Math, Date, Array, Object,
        WebSocket: relay ? MeshCentralRelaySocket : RelaySocket, document, navigator: { userAgent: 'node' },
        window: { location: relay ? { protocol: relay.server.protocol, host: relay.server.host, pathname: '/default.htm' }
            : { protocol: 'http:', host: 'meshcentral.invalid', pathname: '/default.htm' }, document },
        hex_md5: (s) => crypto.createHash('md5').update(Buffer.from(s, 'latin1')).digest('hex'),
        drawn,
    };
    vm.createContext(ctx);
    for (const f of ['common-0.0.1.js', 'zlib.js', 'zlib-inflate.js', 'zlib-adler32.js', 'zlib-crc32.js',
        'amt-redir-ws-0.1.0.js', 'amt-desktop-0.0.2.js']) {
        vm.runInContext(fs.readFileSync(path.join(SCRIPTS, f), 'utf8'), ctx, { filename: f });
    }
    return ctx;
}

function within(ms, what, executor) {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timeout: ' + what)), ms);
        executor((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
    });
}

/** A SOL session; resolves with the redirect object and a reader of everything the host sent. */
function openSol(pass) {
    const ctx = browserContext();
    let received = '';
    const terminal = {
        protocol: 1,
        ProcessData: (s) => { received += s; },
        Start: () => { },
        xxStateChange: () => { },
    };
    const redir = vm.runInContext('CreateAmtRedirect', ctx)(terminal, null);
    const states = [];
    const opened = within(STEP_TIMEOUT_MS, 'SOL session start', (resolve, reject) => {
        redir.onStateChanged = (r, state) => {
            states.push(state);
            if (state === 3) resolve();
            if (state === 0) reject(new Error('session closed before SOL started (states ' + states.join(',') + ')'));
        };
    });
    redir.Start(host, port, user, pass, useTls ? 1 : 0);
    // busybox ash asks the terminal for the cursor position (ESC [6n) after each prompt: not text
    return { redir, opened, states, output: () => received.replace(/\x1b\[6n/g, '') };
}

async function waitFor(read, pattern, ms, what) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        if (pattern.test(read())) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('timeout waiting for ' + what + '; got: ' + JSON.stringify(read().slice(-300)));
}

async function sol() {
    const s = openSol(password);
    try {
        await s.opened;
        // A fresh prompt: the login prompt, or a shell prompt left by an earlier session.
        s.redir.Send('\r');
        await waitFor(s.output, /(login: ?|# ?)$/, 20000, 'a prompt');
        if (/login: ?$/.test(s.output())) {
            s.redir.Send('root\r');
            await waitFor(s.output, /# ?$/, 20000, 'the shell prompt');
        }
        const mark = s.output().length;
        s.redir.Send('echo mc-sol-$((6*7))\r');
        await waitFor(() => s.output().slice(mark), /mc-sol-42/, 20000, 'the command output');
        return { step: 'sol', ok: true, states: s.states, transcript: s.output().slice(mark) };
    } finally {
        s.redir.Stop();   // a clean close: the session ends on the server at once
    }
}

async function refusedSol() {
    const s = openSol(password + '-wrong');
    try {
        await s.opened;
        s.redir.Stop();
        return { step: 'refused:sol', ok: false, error: 'SOL session started with a wrong password' };
    } catch (e) {
        return { step: 'refused:sol', ok: true, states: s.states, reason: e.message };
    }
}

async function kvm() {
    const ctx = browserContext();
    const desktop = vm.runInContext('CreateAmtRemoteDesktop', ctx)('canvas', null);
    const redir = vm.runInContext('CreateAmtRedirect', ctx)(desktop, null);
    const states = [];
    redir.onStateChanged = (r, state) => states.push(state);
    redir.Start(host, port, user, password, useTls ? 1 : 0);
    const end = Date.now() + STEP_TIMEOUT_MS;
    while (Date.now() < end && ctx.drawn.images === 0) {
        if (states.length > 0 && states[states.length - 1] === 0) {
            return { step: 'kvm', ok: false, states, error: 'session closed before a frame arrived' };
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    if (ctx.drawn.images === 0) {
        return { step: 'kvm', ok: false, states, error: 'no framebuffer update within ' + STEP_TIMEOUT_MS + ' ms' };
    }
    // give the rest of the first update time to arrive, so the count covers the whole screen
    await new Promise((r) => setTimeout(r, 1500));
    const result = {
        step: 'kvm', ok: desktop.state >= 4 || desktop.state > 100, states, width: desktop.width,
        height: desktop.height, bytesPerPixel: desktop.bpp, tiles: ctx.drawn.images, pixels: ctx.drawn.pixels,
    };
    redir.Stop();
    return result;
}

(async () => {
    const overall = setTimeout(() => { process.stdout.write(JSON.stringify({ error: 'overall timeout' }) + '\n'); process.exit(2); },
        STEP_TIMEOUT_MS * steps.length + 5000);
    let failed = false;
    for (const step of steps) {
        let result;
        try {
            if (step === 'sol') result = await sol();
            else if (step === 'kvm') result = await kvm();
            else if (step === 'refused:sol') result = await refusedSol();
            else { process.stderr.write('unknown step ' + step + '\n'); process.exit(3); }
        } catch (e) {
            result = { step, ok: false, error: e.message };
        }
        failed = failed || !result.ok;
        process.stdout.write(JSON.stringify(result) + '\n');
    }
    clearTimeout(overall);
    process.exit(failed ? 1 : 0);
})();
