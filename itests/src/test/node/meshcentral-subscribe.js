#!/usr/bin/env node
/*
 * Subscribes to a vAMT endpoint's AMT alerts with MeshCentral's own Intel AMT stack, loaded
 * unchanged from the installed npm package: amt/amt-wsman-comm.js (HTTP + Digest),
 * amt/amt-wsman.js ExecSubscribe / ExecUnSubscribe (the WS-Eventing envelopes, with the
 * subscriber's credentials as an IssuedTokens UsernameToken and wsman:Auth Digest) and amt/amt.js.
 *
 * MeshCentral's ExecSubscribe has no Expires parameter; for "expires:<duration>" this script adds
 * <e:Expires> to the envelope ExecSubscribe built, just before </e:Subscribe>, and changes
 * nothing else.
 *
 * Usage: node meshcentral-subscribe.js <host> <port> <user> <password> subscribe <Push|PushWithAck>
 *          <notifyTo> <subscriber user> <subscriber password> <opaque> [expires:<xs:duration>]
 *        node meshcentral-subscribe.js <host> <port> <user> <password> unsubscribe <identifier>
 * Prints ONE JSON line: {status, body} (body: MeshCentral's parse of the answer's Body).
 * Exit codes: 0 HTTP 200, 1 otherwise, 2 timeout.
 */
'use strict';
console.log = (...args) => console.error(...args);

const path = require('path');
const MC_AMT_DIR = path.join(__dirname, 'node_modules', 'meshcentral', 'amt');
const CreateWsmanComm = require(path.join(MC_AMT_DIR, 'amt-wsman-comm.js'));
const WsmanStackCreateService = require(path.join(MC_AMT_DIR, 'amt-wsman.js'));
const AmtStackCreateService = require(path.join(MC_AMT_DIR, 'amt.js'));

const [host, port, user, pass, verb, ...args] = process.argv.slice(2);
const comm = CreateWsmanComm(host, parseInt(port, 10), user, pass, 0);
const wsstack = WsmanStackCreateService(comm);
const amtstack = AmtStackCreateService(wsstack);

function done(status, response) {
    process.stdout.write(JSON.stringify({ status, body: response ? response.Body : null,
        header: response ? response.Header : null }) + '\n', () => process.exit(status == 200 ? 0 : 1));
}
setTimeout(() => { process.stdout.write(JSON.stringify({ error: 'timeout' }) + '\n', () => process.exit(2)); }, 30000);

if (verb === 'subscribe') {
    const [mode, notifyTo, subUser, subPass, opaque, expires] = args;
    if (expires && expires.startsWith('expires:')) {
        const perform = wsstack.PerformAjax;
        wsstack.PerformAjax = function (postdata, callback, tag, pri, namespaces) {
            postdata = postdata.replace('</e:Subscribe>', '<e:Expires>' + expires.substring(8) + '</e:Expires></e:Subscribe>');
            return perform.call(wsstack, postdata, callback, tag, pri, namespaces);
        };
    }
    // '*' is AMT's all-classes resource; MeshCommander names the filter by the Name selector
    wsstack.ExecSubscribe('http://schemas.dmtf.org/wbem/wscim/1/*', mode, notifyTo,
        (ws, resuri, response, status) => done(status, response), 0, 1, { Name: 'Intel(r) AMT:AllEvents' },
        opaque, subUser, subPass);
} else if (verb === 'unsubscribe') {
    wsstack.ExecUnSubscribe('http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_IndicationSubscription',
        (ws, resuri, response, status) => done(status, response), 0, 1, { Name: args[0] });
} else {
    console.error('usage: see the header of this script');
    process.exit(3);
}
