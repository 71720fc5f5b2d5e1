#!/usr/bin/env node
/*
 * Serves a CD image to an Intel AMT (vAMT) endpoint over IDE-R with MeshCentral's own server-side
 * IDE-R stack, loaded unchanged from the installed npm package, the pair MeshCentral's IDE-R handler
 * (amt-ider.js) uses:
 *
 *   amt/amt-redir-mesh.js   CreateAmtRedirect: TCP to 16994, session start "IDER", Digest authentication
 *                           with the device's stored AMT credentials, then the raw IDE-R stream
 *   amt/amt-ider-module.js  CreateAmtRemoteIder: the IDE-R device (OPEN_SESSION, feature toggle with the
 *                           start mode, SCSI commands answered from the image with fs reads)
 *
 * In MeshCentral the redirection module looks the device up in its database (host, AMT user and
 * password, TLS), checks the user's rights on the device group and its connectivity state; those
 * three are stand-ins here, for one device reached directly (connectivity 4, no CIRA, no TLS). The
 * helpers it takes from the server are MeshCentral's own: common.js and node-forge's MD5.
 * (The browser pair, public/scripts/amt-redir-ws-0.1.0.js with amt-ider-ws-0.0.1.js, cannot be used:
 * in 1.1.55 its redirection module hands IDE-R data to the device as arrToStr(ArrayBuffer), which is
 * an empty string, so no browser IDE-R session gets past OPEN_SESSION.)
 *
 * Usage: node meshcentral-ider.js <host> <port> <user> <password> <cd-image> [start-mode]
 *        start-mode: 0 on reboot (default), 1 graceful, 2 now (MeshCommander's choices)
 * Prints JSON lines on stdout: {"event":"started"} once logged in and the IDE-R session opens, {"event":"stopped",...} at
 * the end. The session lasts until stdin closes or the line "stop" arrives (or the AMT side ends it).
 * Exit: 0 after a clean stop, 1 when the session failed or ended on the AMT side, 3 usage.
 */
'use strict';

console.log = (...args) => console.error(...args);

const path = require('path');
const readline = require('readline');

const MESHCENTRAL = path.join(__dirname, 'node_modules', 'meshcentral');

const [host, portText, user, password, image, modeText] = process.argv.slice(2);
if (!host || !portText || !user || password === undefined || !image) {
    process.stderr.write('usage: meshcentral-ider.js <host> <port> <user> <password> <cd-image> [start-mode]\n');
    process.exit(3);
}
const port = parseInt(portText, 10);
if (port !== 16994) {
    // amt-redir-mesh.js connects to 16994 (16995 with TLS) of the device's host: the net module is
    // given the test's port instead, nothing else changes
    const net = require('net');
    const connect = net.Socket.prototype.connect;
    net.Socket.prototype.connect = function (p, ...rest) { return connect.call(this, p === 16994 ? port : p, ...rest); };
}

const NODE_ID = 'node//vamt-ider-it';
const MESH_ID = 'mesh//vamt-ider-it';
/** MeshCentral's server as amt-redir-mesh.js sees it: the device record, connectivity, no CIRA. */
const meshcentral = {
    debugLevel: parseInt(process.env.VAMT_IDER_DEBUG || '0', 10),
    db: { Get: (id, cb) => cb(null, id === NODE_ID ? [{ _id: NODE_ID, meshid: MESH_ID, host,
        intelamt: { user, pass: password, tls: 0 } }] : []) },
    GetConnectivityState: (id) => (id === NODE_ID ? { connectivity: 4 } : null),
    mpsserver: { GetConnectionToNode: () => null },
    // MeshCentral's own: Digest's MD5 through node-forge (certoperations.js), helpers from common.js
    certificateOperations: { forge: require(path.join(__dirname, 'node_modules', 'node-forge')) },
};
const webserver = { common: require(path.join(MESHCENTRAL, 'common.js')) };
const meshUser = { name: 'it', links: { [MESH_ID]: { rights: 8 } } };   // MESHRIGHT_REMOTECONTROL

const ider = require(path.join(MESHCENTRAL, 'amt', 'amt-ider-module.js')).CreateAmtRemoteIder(null, meshcentral);
const setup = ider.diskSetup(null, image);
if (setup !== 0) {
    process.stdout.write(JSON.stringify({ event: 'stopped', error: 'diskSetup ' + setup }) + '\n');
    process.exit(1);
}
ider.iderStart = parseInt(modeText || '0', 10);
const stats = { reads: 0, sectors: 0 };
ider.sectorStats = (mode, dev, total, start, len) => { if (mode === 1) { stats.reads++; stats.sectors += len; } };
const redir = require(path.join(MESHCENTRAL, 'amt', 'amt-redir-mesh.js')).CreateAmtRedirect(ider, null, meshUser, webserver,
    meshcentral);
const states = [];
let started = false;
let stopping = false;
const t0 = Date.now();
// amt-redir-mesh.js starts the IDE-R module once logged in (no state 3 for IDE-R): that is "started"
const startModule = ider.Start;
ider.Start = function () {
    startModule.apply(this, arguments);
    started = true;
    process.stdout.write(JSON.stringify({ event: 'started', states }) + '\n');
};
redir.onStateChanged = (r, state) => {
    states.push(state);
    if (state === 0) {
        process.stdout.write(JSON.stringify({ event: 'stopped', requested: stopping, states, reads: stats.reads,
            sectors: stats.sectors, bytesToAmt: ider.bytesToAmt, seconds: (Date.now() - t0) / 1000 }) + '\n');
        process.exit(stopping && started ? 0 : 1);
    }
};
redir.Start(NODE_ID);

const stop = () => { if (!stopping) { stopping = true; redir.Stop(); } };
readline.createInterface({ input: process.stdin }).on('line', (l) => { if (l.trim() === 'stop') stop(); }).on('close', stop);
