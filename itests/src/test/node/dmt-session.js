#!/usr/bin/env node
/*
 * Drives one vAMT WS-Management endpoint with WS-Man requests built by Intel's Device Management
 * Toolkit library @device-management-toolkit/wsman-messages (AMT.Messages, CIM.Messages,
 * IPS.Messages), sent the way DMT's Go client (go-wsman-messages pkg/wsman/client/wsman.go +
 * hash.go) sends them:
 *   - POST /wsman, Content-Type "application/soap+xml; charset=utf-8", User-Agent Go-http-client/1.1,
 *     Accept-Encoding gzip;
 *   - keep-alives disabled: one new TCP connection per HTTP request ("Connection: close");
 *   - the very first request goes out without Authorization; on 401 the challenge is parsed the
 *     Go way (split on `",`, only realm/domain/nonce/opaque/stale/algorithm/qop allowed) and the
 *     request is repeated once with Digest; later requests reuse realm+nonce with
 *     Authorization: Digest username="",realm="",nonce="",uri="/wsman",response=""[,opaque=""],qop="auth",nc="%08x",cnonce="<6 hex>"
 *     (nc counts every authorize() call, as in hash.go; a fresh 6-hex-digit cnonce per request);
 *   - 400 = WS-Man fault (Code/Subcode/Reason/Detail), any other status >= 401 = error.
 * The library only builds XML; the Digest client and the (regex-based) response parsing are here.
 *
 * Usage: node dmt-session.js <host> <port> <user> <password> <step...>
 * Steps: connect | version | power-state | power:<n> | wait-power:<n> | inventory | classes | invoke
 *        | boot-settings | boot:<100|101|400|401|cd-on|cd-reset>
 *        | alarms | add-alarm:<id>:<seconds from now>[:<interval minutes>] | delete-alarm:<id>
 *        | cira:<mps host>:<mps port>:<mps user>:<mps password>:<MPS root PEM file>  (RPS's CIRA profile)
 * Each step prints ONE JSON line on stdout. Exit codes: 0 all steps ok, 1 a step failed (its line
 * carries "error"), 2 overall timeout (VAMT_CLIENT_TIMEOUT_MS, default 60000), 3 usage error.
 */
'use strict';

const http = require('http');
const crypto = require('crypto');
const zlib = require('zlib');
const path = require('path');

const { AMT, CIM, IPS } = require(path.join(__dirname, 'node_modules', '@device-management-toolkit', 'wsman-messages'));

const OVERALL_TIMEOUT_MS = parseInt(process.env.VAMT_CLIENT_TIMEOUT_MS || '60000', 10);
const REQUEST_TIMEOUT_MS = 10000; // go-wsman-messages: http.Client Timeout = 10 s
const WAIT_POWER_TIMEOUT_MS = 10000;
const WAIT_POWER_INTERVAL_MS = 250;
const CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

function out(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); }
function exit(code) { process.stdout.write('', () => process.exit(code)); }

class StepError extends Error {
    constructor(message, status, extra) { super(message); this.status = status; this.extra = extra || {}; }
}

// ------------------------------------------------------------------------------------------------
// Digest client (RFC 2617, MD5, qop=auth), same behaviour as go-wsman-messages hash.go.

const md5 = (s) => crypto.createHash('md5').update(s, 'utf8').digest('hex');

class DigestChallenge {
    constructor(username, password) {
        this.username = username; this.password = password;
        this.realm = ''; this.domain = ''; this.nonce = ''; this.opaque = ''; this.stale = '';
        this.algorithm = ''; this.qop = ''; this.cnonce = ''; this.nonceCount = 0;
    }

    // hash.go parseChallenge(): throws on anything the Go client would reject.
    parse(header) {
        if (typeof header !== 'string') throw new Error('bad challenge: 401 without WWW-Authenticate');
        let s = header.trim();
        if (!s.startsWith('Digest ')) throw new Error('bad challenge, missing digest prefix: ' + header);
        s = s.substring(7).trim();
        this.algorithm = 'MD5';
        for (const elem of s.split('",')) {
            const eq = elem.indexOf('=');
            if (eq < 0) throw new Error('bad challenge, malformed token: ' + elem);
            const key = elem.substring(0, eq).trim();
            const value = elem.substring(eq + 1).trim().replace(/^"+|"+$/g, '');
            switch (key) {
                case 'realm': this.realm = value; break;
                case 'domain': this.domain = value; break;
                case 'nonce': this.nonce = value; break;
                case 'opaque': this.opaque = value; break;
                case 'stale': this.stale = value; break;
                case 'algorithm': this.algorithm = value; break;
                case 'qop': this.qop = value; break;
                default: throw new Error('bad challenge, unexpected token: ' + key + ' in ' + header);
            }
        }
    }

    // hash.go authorize(): note that nonceCount is incremented on every call, also for the very
    // first (unauthenticated) request whose header is then not sent.
    authorize(method, uri) {
        if (!this.qop.includes('auth') && this.qop !== '') throw new Error('qop not implemented: ' + this.qop);
        this.nonceCount++;
        let nonceData = this.nonce;
        const nc = this.nonceCount.toString(16).padStart(8, '0');
        if (this.qop.includes('auth')) {
            this.cnonce = crypto.randomBytes(8).toString('hex').substring(0, 6);
            this.qop = 'auth';
            nonceData = nonceData + ':' + nc + ':' + this.cnonce + ':' + this.qop;
        }
        const ha1 = md5(this.username + ':' + this.realm + ':' + this.password);
        const ha2 = md5(method + ':' + uri);
        const response = md5(ha1 + ':' + nonceData + ':' + ha2);
        let h = 'Digest username="' + this.username + '",realm="' + this.realm + '",nonce="' + this.nonce +
            '",uri="' + uri + '",response="' + response + '"';
        if (this.opaque !== '') h += ',opaque="' + this.opaque + '"';
        if (this.qop !== '') h += ',qop="' + this.qop + '",nc="' + nc + '",cnonce="' + this.cnonce + '"';
        return h;
    }
}

// ------------------------------------------------------------------------------------------------
// HTTP transport: one new TCP connection per request (agent: false => "Connection: close").

function httpPost(host, port, body, authorization) {
    return new Promise((resolve, reject) => {
        const payload = Buffer.from(body, 'utf8');
        const headers = { 'Host': host + ':' + port, 'User-Agent': 'Go-http-client/1.1', 'Content-Length': payload.length };
        if (authorization) headers['Authorization'] = authorization;
        headers['Content-Type'] = CONTENT_TYPE;
        headers['Connection'] = 'close';
        headers['Accept-Encoding'] = 'gzip';
        const req = http.request({ host, port, method: 'POST', path: '/wsman', headers, agent: false }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
                let buf = Buffer.concat(chunks);
                try { if (/gzip/i.test(res.headers['content-encoding'] || '')) buf = zlib.gunzipSync(buf); } catch (e) { return reject(e); }
                resolve({ status: res.statusCode, headers: res.headers, body: buf.toString('utf8') });
            });
            res.on('error', reject);
        });
        req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('request timeout after ' + REQUEST_TIMEOUT_MS + ' ms')));
        req.on('error', reject);
        req.end(payload);
    });
}

class WsmanClient {
    constructor(host, port, user, pass) {
        this.host = host; this.port = port;
        this.challenge = new DigestChallenge(user, pass);
        this.lastServerHeader = null;
    }

    // wsman.go Target.Post()
    async post(xml, what) {
        let auth = this.challenge.authorize('POST', '/wsman');
        let res;
        try {
            res = await httpPost(this.host, this.port, xml, this.challenge.realm !== '' ? auth : null);
            this.noteServer(res);
            if (res.status === 401) {
                this.challenge.parse(res.headers['www-authenticate']);
                auth = this.challenge.authorize('POST', '/wsman');
                res = await httpPost(this.host, this.port, xml, auth);
                this.noteServer(res);
            }
        } catch (e) {
            if (e instanceof StepError) throw e;
            throw new StepError(what + ': ' + (e.message || String(e)), null);
        }
        if (res.status === 400) throw new StepError(what + ': HTTP 400 fault: ' + describeFault(res.body), 400);
        if (res.status >= 401) throw new StepError(what + ': HTTP ' + res.status, res.status);
        return res;
    }

    noteServer(res) { if (res.headers['server']) this.lastServerHeader = res.headers['server']; }
}

// ------------------------------------------------------------------------------------------------
// Minimal namespace-prefix-agnostic XML helpers (regex based; enough for the few fields we read).

const decodeEntities = (s) => s.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-fA-F]+);/g, (m, e) => {
    switch (e) {
        case 'lt': return '<'; case 'gt': return '>'; case 'quot': return '"'; case 'apos': return "'"; case 'amp': return '&';
        default: return String.fromCodePoint(e[1] === 'x' ? parseInt(e.substring(2), 16) : parseInt(e.substring(1), 10));
    }
});

// Text of the first element with this local name (any prefix), or null.
function text(xml, localName) {
    const re = new RegExp('<(?:[\\w.-]+:)?' + localName + '(?:\\s[^>]*)?>([^<]*)</(?:[\\w.-]+:)?' + localName + '\\s*>');
    const m = re.exec(xml);
    return m ? decodeEntities(m[1]).trim() : null;
}

// Inner XML of the first element with this local name, or null.
function inner(xml, localName) {
    const re = new RegExp('<(?:[\\w.-]+:)?' + localName + '(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w.-]+:)?' + localName + '\\s*>');
    const m = re.exec(xml);
    return m ? m[1] : null;
}

// Top-level child elements of an XML fragment: [{name (local), xml (inner)}].
function children(fragment) {
    const result = [];
    const tagRe = /<(\/?)([\w.-]+:)?([\w.-]+)((?:\s[^>]*?)?)(\/?)>/g;
    let depth = 0, cur = null, m;
    while ((m = tagRe.exec(fragment)) !== null) {
        const closing = m[1] === '/', selfClosing = m[5] === '/';
        if (!closing) {
            if (depth === 0) cur = { name: m[3], start: tagRe.lastIndex };
            if (selfClosing) { if (depth === 0) { result.push({ name: cur.name, xml: '' }); cur = null; } }
            else depth++;
        } else {
            depth--;
            if (depth === 0 && cur) { result.push({ name: cur.name, xml: fragment.substring(cur.start, m.index) }); cur = null; }
        }
    }
    return result;
}

function describeFault(body) {
    const code = inner(body, 'Code');
    const parts = [];
    if (code) {
        const sub = inner(code, 'Subcode');
        parts.push('code=' + text(code, 'Value'));
        if (sub) parts.push('subcode=' + text(sub, 'Value'));
    }
    const reason = text(body, 'Text');
    if (reason) parts.push('reason=' + reason);
    const detail = text(body, 'FaultDetail') || text(body, 'Detail');
    if (detail) parts.push('detail=' + detail);
    return parts.length ? parts.join(', ') : JSON.stringify(body.substring(0, 300));
}

function responseBody(xml, what, status) {
    const body = inner(xml, 'Body');
    if (body == null) throw new StepError(what + ': response has no SOAP Body', status);
    return body;
}

// ------------------------------------------------------------------------------------------------

function usage() {
    console.error('usage: node dmt-session.js <host> <port> <user> <password> <step...>');
    console.error('steps: connect | version | power-state | power:<n> | wait-power:<n> | inventory | classes | invoke | boot-settings | boot:<100|101|400|401|cd-on|cd-reset> | alarms | add-alarm:<id>:<s>[:<min>] | delete-alarm:<id> | cira:<host>:<port>:<user>:<password>:<pem>');
    process.exit(3);
}

const argv = process.argv.slice(2);
if (argv.length < 5) usage();
const [host, portStr, user, pass, ...steps] = argv;
const port = parseInt(portStr, 10);
if (!(port > 0 && port < 65536)) usage();

const client = new WsmanClient(host, port, user, pass);
const amt = new AMT.Messages();
const cim = new CIM.Messages();
const ips = new IPS.Messages();

// Enumerate + Pull with MaxElements 999; returns the Items children. DMT pulls once, except that
// (as go-wsman-messages' CIM_PhysicalPackage and CIM_CredentialContext Pull do) it posts the same
// Pull again while the answer has no EndOfSequence, at most 3 times: real AMT answers a polymorphic
// enumeration one class per Pull. The items of every Pull are returned, with the number of Pulls.
const PULLS_UNTIL_END = ['CIM_PhysicalPackage', 'CIM_CredentialContext'];
async function enumeratePull(cls, what) {
    const e = await client.post(cls.Enumerate(), 'Enumerate ' + what);
    const ctx = text(responseBody(e.body, 'Enumerate ' + what, e.status), 'EnumerationContext');
    if (!ctx) throw new StepError('Enumerate ' + what + ': EnumerateResponse without EnumerationContext', e.status);
    const all = [];
    let status, endOfSequence = false, pulls = 0;
    const maxPulls = PULLS_UNTIL_END.includes(what) ? 3 : 1;
    while (!endOfSequence && pulls < maxPulls) {
        const p = await client.post(cls.Pull(ctx), 'Pull ' + what);
        pulls++;
        const body = responseBody(p.body, 'Pull ' + what, p.status);
        if (inner(body, 'PullResponse') == null) throw new StepError('Pull ' + what + ': no PullResponse in body', p.status);
        const items = inner(body, 'Items');
        if (items != null) all.push(...children(items));
        status = p.status;
        endOfSequence = /<(?:[\w.-]+:)?EndOfSequence[\s/>]/.test(body);
    }
    return { status, items: all, endOfSequence, pulls };
}

async function stepConnect() {
    const gs = await client.post(amt.GeneralSettings.Get(), 'Get AMT_GeneralSettings');
    const gsBody = responseBody(gs.body, 'Get AMT_GeneralSettings', gs.status);
    const hbs = await client.post(ips.HostBasedSetupService.Get(), 'Get IPS_HostBasedSetupService');
    const hbsBody = responseBody(hbs.body, 'Get IPS_HostBasedSetupService', hbs.status);
    const ccm = text(hbsBody, 'CurrentControlMode');
    const server = client.lastServerHeader;
    const prefix = 'Intel(R) Active Management Technology ';
    const result = {
        status: hbs.status,
        generalSettingsStatus: gs.status,
        hostBasedSetupServiceStatus: hbs.status,
        DigestRealm: text(gsBody, 'DigestRealm'),
        HostName: text(gsBody, 'HostName'),
        CurrentControlMode: ccm == null ? null : parseInt(ccm, 10),
        challengeRealm: client.challenge.realm || null,
        amtVersion: (server && server.startsWith(prefix)) ? server.substring(prefix.length) : null
    };
    result.realmMatch = result.DigestRealm != null && result.DigestRealm === result.challengeRealm;
    if (!result.realmMatch) {
        throw new StepError('Digest realm of the 401 challenge (' + result.challengeRealm + ') != AMT_GeneralSettings.DigestRealm (' + result.DigestRealm + ')', gs.status, result);
    }
    return result;
}

async function stepVersion() {
    const { status, items } = await enumeratePull(cim.SoftwareIdentity, 'CIM_SoftwareIdentity');
    const amtItem = items.find((i) => i.name === 'CIM_SoftwareIdentity' && text(i.xml, 'InstanceID') === 'AMT');
    if (!amtItem) throw new StepError('no CIM_SoftwareIdentity item with InstanceID "AMT"', status);
    const v = text(amtItem.xml, 'VersionString');
    if (!v) throw new StepError('CIM_SoftwareIdentity[AMT] has no VersionString', status);
    return { status, version: v };
}

async function readPowerState() {
    const { status, items } = await enumeratePull(cim.ServiceAvailableToElement, 'CIM_ServiceAvailableToElement');
    // go-wsman-messages decodes `Items>CIM_AssociatedPowerManagementService`.
    const item = items.find((i) => i.name === 'CIM_AssociatedPowerManagementService');
    if (!item) throw new StepError('no CIM_AssociatedPowerManagementService item (got: ' + items.map((i) => i.name).join(',') + ')', status);
    const ps = text(item.xml, 'PowerState');
    if (ps == null || !/^\d+$/.test(ps)) throw new StepError('PowerState missing or not an integer: ' + JSON.stringify(ps), status);
    return { status, PowerState: parseInt(ps, 10) };
}

async function stepPower(n) {
    const r = await client.post(cim.PowerManagementService.RequestPowerStateChange(n), 'CIM_PowerManagementService.RequestPowerStateChange');
    const body = responseBody(r.body, 'RequestPowerStateChange', r.status);
    if (inner(body, 'RequestPowerStateChange_OUTPUT') == null) throw new StepError('no RequestPowerStateChange_OUTPUT in body', r.status);
    const rv = text(body, 'ReturnValue');
    if (rv == null || !/^\d+$/.test(rv)) throw new StepError('ReturnValue missing or not an integer: ' + JSON.stringify(rv), r.status);
    return { status: r.status, ReturnValue: parseInt(rv, 10) };
}

async function stepWaitPower(n) {
    const start = Date.now();
    for (;;) {
        const last = await readPowerState();
        const elapsedMs = Date.now() - start;
        if (last.PowerState === n) return { status: last.status, PowerState: last.PowerState, elapsedMs };
        if (elapsedMs >= WAIT_POWER_TIMEOUT_MS) {
            throw new StepError('timeout: PowerState still ' + last.PowerState + ' after ' + elapsedMs + ' ms', last.status, { PowerState: last.PowerState, elapsedMs });
        }
        await new Promise((r) => setTimeout(r, WAIT_POWER_INTERVAL_MS));
    }
}

// Hardware inventory with the library's own builders (it has one for every class used here:
// CIM.Messages BIOSElement, Card, Chassis, Chip, ComputerSystemPackage, MediaAccessDevice,
// PhysicalMemory, PhysicalPackage, Processor; AMT.Messages EthernetPortSettings).
const INVENTORY_GETS = [
    ['CIM_ComputerSystemPackage', () => cim.ComputerSystemPackage],
    ['CIM_Chassis', () => cim.Chassis],
    ['CIM_Card', () => cim.Card],
    ['CIM_BIOSElement', () => cim.BIOSElement]
];
const INVENTORY_ENUMS = [
    ['CIM_Chip', () => cim.Chip],
    ['CIM_Processor', () => cim.Processor],
    ['CIM_PhysicalMemory', () => cim.PhysicalMemory],
    ['CIM_MediaAccessDevice', () => cim.MediaAccessDevice],
    ['CIM_PhysicalPackage', () => cim.PhysicalPackage],
    ['AMT_EthernetPortSettings', () => amt.EthernetPortSettings]
];

// Fields go-wsman-messages decodes as Go ints (processor.PackageResponse, physical.PhysicalMemory):
// a text that is not an integer fails its xml.Unmarshal, so it fails here too. Absent: null.
function goInt(xml, name, what) {
    const t = text(xml, name);
    if (t == null) return null;
    if (!/^-?\d+$/.test(t)) throw new StepError(what + ': ' + name + ' "' + t + '" is not an integer', null);
    return Number(t);
}

// What DMT's console reads of the inventory: CPU clocks, DIMM speeds and the wired port's IP settings
// (go-wsman-messages: CIM_Processor CurrentClockSpeed/MaxClockSpeed/ExternalBusClockSpeed,
// CIM_PhysicalMemory Speed/MaxMemorySpeed/ConfiguredMemoryClockSpeed/IsSpeedInMhz,
// AMT_EthernetPortSettings IPAddress/SubnetMask/DefaultGateway/PrimaryDNS of instance 0).
function inventoryReadings(items) {
    const processors = (items['CIM_Processor'] || []).map((i) => ({
        CurrentClockSpeed: goInt(i.xml, 'CurrentClockSpeed', 'CIM_Processor'),
        MaxClockSpeed: goInt(i.xml, 'MaxClockSpeed', 'CIM_Processor'),
        ExternalBusClockSpeed: goInt(i.xml, 'ExternalBusClockSpeed', 'CIM_Processor')
    }));
    const dimms = (items['CIM_PhysicalMemory'] || []).map((i) => ({
        Speed: goInt(i.xml, 'Speed', 'CIM_PhysicalMemory'),
        MaxMemorySpeed: goInt(i.xml, 'MaxMemorySpeed', 'CIM_PhysicalMemory'),
        ConfiguredMemoryClockSpeed: goInt(i.xml, 'ConfiguredMemoryClockSpeed', 'CIM_PhysicalMemory'),
        IsSpeedInMhz: text(i.xml, 'IsSpeedInMhz')
    }));
    const wired = (items['AMT_EthernetPortSettings'] || []).find((i) => text(i.xml, 'InstanceID') === 'Intel(r) AMT Ethernet Port Settings 0');
    const wiredPort = wired ? {
        IPAddress: text(wired.xml, 'IPAddress'), SubnetMask: text(wired.xml, 'SubnetMask'),
        DefaultGateway: text(wired.xml, 'DefaultGateway'), PrimaryDNS: text(wired.xml, 'PrimaryDNS')
    } : null;
    return { processors, dimms, wiredPort };
}

async function stepInventory() {
    const classStatus = {}, counts = {}, itemNames = {}, pulls = {}, items = {};
    let platformGuid = null, status = null;
    const fail = (e) => { throw new StepError(e.message, e.status, { classStatus, counts }); };
    for (const [cls, builder] of INVENTORY_GETS) {
        let r;
        try { r = await client.post(builder().Get(), 'Get ' + cls); } catch (e) { classStatus[cls] = e.status; fail(e); }
        classStatus[cls] = status = r.status;
        // go-wsman-messages decodes Body><class>; a Get answered with anything else decodes as empty.
        const el = children(responseBody(r.body, 'Get ' + cls, r.status)).filter((c) => c.name === cls);
        if (el.length !== 1) throw new StepError('Get ' + cls + ': body has ' + el.length + ' <' + cls + '> elements, expected 1', r.status, { classStatus, counts });
        counts[cls] = 1;
        if (cls === 'CIM_ComputerSystemPackage') platformGuid = text(el[0].xml, 'PlatformGUID');
    }
    for (const [cls, builder] of INVENTORY_ENUMS) {
        let r;
        try { r = await enumeratePull(builder(), cls); } catch (e) { classStatus[cls] = e.status; fail(e); }
        classStatus[cls] = status = r.status;
        counts[cls] = r.items.length;
        items[cls] = r.items;
        const names = {};
        for (const i of r.items) names[i.name] = (names[i.name] || 0) + 1;
        // Items of another element name (a subclass, e.g. CIM_Card within CIM_PhysicalPackage).
        if (Object.keys(names).some((n) => n !== cls)) itemNames[cls] = names;
        if (r.pulls > 1) pulls[cls] = r.pulls;
        if (!r.endOfSequence) console.error('dmt-session: Pull ' + cls + ' did not end the sequence after ' + r.pulls + ' Pull(s)');
    }
    if (!platformGuid) throw new StepError('CIM_ComputerSystemPackage has no PlatformGUID', classStatus['CIM_ComputerSystemPackage'], { classStatus, counts });
    const result = { status, classStatus, counts, PlatformGUID: platformGuid, ...inventoryReadings(items) };
    if (Object.keys(itemNames).length) result.itemNames = itemNames;
    if (Object.keys(pulls).length) result.pulls = pulls;
    return result;
}

// ------------------------------------------------------------------------------------------------
// Every class the library has builders for. SERVED: vAMT implements it, so Enumerate+Pull must work
// (and Get for the singletons, which DMT reads with a selector-less Get). NOT_SERVED: vAMT does not
// implement it (yet): Enumerate must fail with the WS-Management answer for an unknown resource,
// HTTP 400 wsa:DestinationUnreachable with an empty Detail, as on a real AMT that lacks
// a class. When vAMT starts serving one of these, the step fails and the class moves to SERVED.
const SERVED = {
    'AMT_BootCapabilities': [() => amt.BootCapabilities, true],
    'AMT_BootSettingData': [() => amt.BootSettingData, true],
    'AMT_EthernetPortSettings': [() => amt.EthernetPortSettings, false],
    'AMT_GeneralSettings': [() => amt.GeneralSettings, true],
    'AMT_MessageLog': [() => amt.MessageLog, true],
    'AMT_SetupAndConfigurationService': [() => amt.SetupAndConfigurationService, true],
    'AMT_TimeSynchronizationService': [() => amt.TimeSynchronizationService, true],
    'CIM_BIOSElement': [() => cim.BIOSElement, true],
    'CIM_BootConfigSetting': [() => cim.BootConfigSetting, true],
    'CIM_BootService': [() => cim.BootService, true],
    'CIM_BootSourceSetting': [() => cim.BootSourceSetting, false],
    'CIM_Card': [() => cim.Card, true],
    'CIM_Chassis': [() => cim.Chassis, true],
    'CIM_Chip': [() => cim.Chip, false],
    'CIM_ComputerSystemPackage': [() => cim.ComputerSystemPackage, true],
    'CIM_MediaAccessDevice': [() => cim.MediaAccessDevice, false],
    'CIM_PhysicalMemory': [() => cim.PhysicalMemory, false],
    'CIM_PhysicalPackage': [() => cim.PhysicalPackage, false],
    'CIM_PowerManagementService': [() => cim.PowerManagementService, true],
    'CIM_Processor': [() => cim.Processor, false],
    'CIM_ServiceAvailableToElement': [() => cim.ServiceAvailableToElement, false],
    'CIM_SoftwareIdentity': [() => cim.SoftwareIdentity, false],
    'CIM_SystemPackaging': [() => cim.SystemPackaging, false],
    'IPS_HostBasedSetupService': [() => ips.HostBasedSetupService, true],
    'IPS_OptInService': [() => ips.OptInService, true],
    'IPS_PowerManagementService': [() => ips.PowerManagementService, true],
    'AMT_AuditLog': [() => amt.AuditLog, true],
    'AMT_AuthorizationService': [() => amt.AuthorizationService, true],
    'AMT_RedirectionService': [() => amt.RedirectionService, true],
    'CIM_KVMRedirectionSAP': [() => cim.KVMRedirectionSAP, true],
    'IPS_KVMRedirectionSettingData': [() => ips.KVMRedirectionSettingData, true],
    'AMT_PublicKeyCertificate': [() => amt.PublicKeyCertificate, false],
    'AMT_PublicKeyManagementService': [() => amt.PublicKeyManagementService, true],
    'AMT_PublicPrivateKeyPair': [() => amt.PublicPrivateKeyPair, false],
    'AMT_TLSCredentialContext': [() => amt.TLSCredentialContext, false],
    'AMT_TLSSettingData': [() => amt.TLSSettingData, false],
    // served through its subclass AMT_TLSCredentialContext
    'CIM_CredentialContext': [() => cim.CredentialContext, false],
    'AMT_AlarmClockService': [() => amt.AlarmClockService, true],
    'IPS_AlarmClockOccurrence': [() => ips.AlarmClockOccurrence, false],
    // as a wired-only AMT desktop answers them: 802.1X off, Kerberos off, no wireless
    'AMT_8021XProfile': [() => amt.IEEE8021xProfile, true],
    'AMT_8021xCredentialContext': [() => amt.IEEE8021xCredentialContext, false],
    'AMT_KerberosSettingData': [() => amt.KerberosSettingData, true],
    'CIM_IEEE8021xSettings': [() => cim.IEEE8021xSettings, false],
    'CIM_WiFiEndpointSettings': [() => cim.WiFiEndpointSettings, false],
    'CIM_WiFiPort': [() => cim.WiFiPort, false],
    'IPS_8021xCredentialContext': [() => ips.IEEE8021xCredentialContext, false],
    'IPS_IEEE8021xSettings': [() => ips.IEEE8021xSettings, true],
    'AMT_WiFiPortConfigurationService': [() => amt.WiFiPortConfigurationService, true],
    'CIM_ConcreteDependency': [() => cim.ConcreteDependency, false],
    // the VM's screen as AMT's KVM reports screens
    'IPS_ScreenSettingData': [() => ips.ScreenSettingData, true],
    // CIRA set-up (vamt-provider-remoteaccess); no HTTP proxy
    'AMT_EnvironmentDetectionSettingData': [() => amt.EnvironmentDetectionSettingData, true],
    'AMT_MPSUsernamePassword': [() => amt.MPSUsernamePassword, false],
    'AMT_ManagementPresenceRemoteSAP': [() => amt.ManagementPresenceRemoteSAP, false],
    'AMT_RemoteAccessPolicyAppliesToMPS': [() => amt.RemoteAccessPolicyAppliesToMPS, false],
    'AMT_RemoteAccessPolicyRule': [() => amt.RemoteAccessPolicyRule, false],
    'AMT_RemoteAccessService': [() => amt.RemoteAccessService, true],
    'AMT_UserInitiatedConnectionService': [() => amt.UserInitiatedConnectionService, true],
    'IPS_HTTPProxyAccessPoint': [() => ips.HTTPProxyAccessPoint, false],
    'IPS_HTTPProxyService': [() => ips.HTTPProxyService, false]
};
// A VM without disks (kiosk) has no media access device, a VM without alarms no alarm, a wired-only
// AMT no wireless port or profile and, with 802.1X off, no 802.1X credential, nor a dependency
// (CIM_ConcreteDependency) between classes vAMT serves, a VM no console set CIRA up on no MPS,
// policy or MPS credential, and vAMT no HTTP proxy; every other served class has an instance.
const MAY_BE_EMPTY = ['CIM_MediaAccessDevice', 'IPS_AlarmClockOccurrence', 'AMT_8021xCredentialContext',
    'CIM_WiFiEndpointSettings', 'CIM_WiFiPort', 'IPS_8021xCredentialContext', 'CIM_ConcreteDependency',
    'AMT_MPSUsernamePassword', 'AMT_ManagementPresenceRemoteSAP', 'AMT_RemoteAccessPolicyAppliesToMPS',
    'AMT_RemoteAccessPolicyRule', 'IPS_HTTPProxyAccessPoint', 'IPS_HTTPProxyService'];
// Classes the library builds that vAMT does not serve (none left): they must answer DestinationUnreachable.
const NOT_SERVED = {
};

// Posts and returns {status, body} also for a 400 (with its fault), instead of throwing.
async function postAllowingFault(xml, what) {
    try {
        const r = await client.post(xml, what);
        return { status: r.status, body: r.body };
    } catch (e) {
        if (e instanceof StepError && e.status === 400) return { status: 400, fault: e.message };
        throw e;
    }
}

async function stepClasses() {
    const served = {}, notServed = {}, problems = [];
    for (const [cls, [builder, singleton]] of Object.entries(SERVED)) {
        const entry = {};
        if (builder().className !== cls) problems.push(cls + ': the library names it ' + builder().className);
        try {
            const r = await enumeratePull(builder(), cls);
            entry.items = r.items.length;
            if (r.items.length === 0 && !MAY_BE_EMPTY.includes(cls)) problems.push(cls + ': Enumerate+Pull returned no item');
        } catch (e) { entry.enumerate = e.status; problems.push(cls + ': ' + e.message); }
        if (singleton) {
            const g = await postAllowingFault(builder().Get(), 'Get ' + cls);
            entry.get = g.status;
            if (g.status !== 200) problems.push('Get ' + cls + ': HTTP ' + g.status + ' ' + (g.fault || ''));
            else if (children(responseBody(g.body, 'Get ' + cls, 200)).filter((c) => c.name === cls).length !== 1) problems.push('Get ' + cls + ': no <' + cls + '> in the body');
        }
        served[cls] = entry;
    }
    for (const [cls, builder] of Object.entries(NOT_SERVED)) {
        if (builder().className !== cls) problems.push(cls + ': the library names it ' + builder().className);
        const r = await postAllowingFault(builder().Enumerate(), 'Enumerate ' + cls);
        const fault = r.fault || '';
        const ok = r.status === 400 && /subcode=\S*DestinationUnreachable/.test(fault) && !/detail=/.test(fault);
        notServed[cls] = ok ? 'DestinationUnreachable' : ('HTTP ' + r.status + ' ' + fault);
        if (!ok) problems.push('Enumerate ' + cls + ' (not served) answered HTTP ' + r.status + ' ' + fault);
    }
    const result = { status: 200, served, notServed };
    if (problems.length) throw new StepError(problems.length + ' class problem(s): ' + problems.join('; '), null, result);
    return result;
}

// Methods of the served classes that the library builds and that change nothing lasting, with the
// ReturnValue each must give. (RequestPowerStateChange, Put AMT_BootSettingData, ChangeBootOrder
// with a source and SetBootConfigRole run in the power and boot steps.) The OS power-saving change
// is NOT_READY (2) while the VM is off, as real AMT answers when there is no OS to ask.
async function stepInvoke() {
    const vmOn = (await readPowerState()).PowerState === 2;
    const calls = [
        ['CIM_BootConfigSetting.ChangeBootOrder()', () => cim.BootConfigSetting.ChangeBootOrder(), 'ChangeBootOrder_OUTPUT', 0],
        ['CIM_BootService.RequestStateChange(32768)', () => cim.BootService.RequestStateChange(32768), 'RequestStateChange_OUTPUT', 0],
        ['IPS_PowerManagementService.RequestOSPowerSavingStateChange(2)', () => ips.PowerManagementService.RequestOSPowerSavingStateChange(2), 'RequestOSPowerSavingStateChange_OUTPUT', vmOn ? 0 : 2],
        ['AMT_SetupAndConfigurationService.CommitChanges()', () => amt.SetupAndConfigurationService.CommitChanges(), 'CommitChanges_OUTPUT', 0],
        ['AMT_TimeSynchronizationService.GetLowAccuracyTimeSynch()', () => amt.TimeSynchronizationService.GetLowAccuracyTimeSynch(), 'GetLowAccuracyTimeSynch_OUTPUT', 0],
        ['AMT_MessageLog.PositionToFirstRecord()', () => amt.MessageLog.PositionToFirstRecord(), 'PositionToFirstRecord_OUTPUT', 0]
    ];
    const results = {}, problems = [];
    let iterator = null;
    for (const [name, build, output, expected] of calls) {
        const r = await postAllowingFault(build(), name);
        if (r.status !== 200) { results[name] = 'HTTP ' + r.status; problems.push(name + ': HTTP ' + r.status + ' ' + (r.fault || '')); continue; }
        const body = responseBody(r.body, name, 200);
        const out = inner(body, output);
        const rv = out == null ? null : text(out, 'ReturnValue');
        results[name] = rv == null ? null : parseInt(rv, 10);
        if (out == null) problems.push(name + ': no ' + output);
        else if (results[name] !== expected) problems.push(name + ': ReturnValue ' + rv + ', expected ' + expected);
        if (name.startsWith('AMT_MessageLog.Position')) iterator = text(out || '', 'IterationIdentifier');
    }
    // DMT's event-log read: GetRecords with the iterator PositionToFirstRecord returned.
    if (iterator == null) problems.push('PositionToFirstRecord returned no IterationIdentifier');
    else {
        const r = await postAllowingFault(amt.MessageLog.GetRecords(parseInt(iterator, 10)), 'AMT_MessageLog.GetRecords');
        const out = r.status === 200 ? inner(responseBody(r.body, 'GetRecords', 200), 'GetRecords_OUTPUT') : null;
        results['AMT_MessageLog.GetRecords'] = out == null ? 'HTTP ' + r.status : parseInt(text(out, 'ReturnValue'), 10);
        if (out == null || results['AMT_MessageLog.GetRecords'] !== 0) problems.push('AMT_MessageLog.GetRecords: ' + (r.fault || JSON.stringify(results['AMT_MessageLog.GetRecords'])));
    }
    const result = { status: 200, results };
    if (problems.length) throw new StepError(problems.join('; '), null, result);
    return result;
}

// The Get body of a singleton as a flat object, in document order (what DMT's Go client decodes
// into its struct and sends back whole in a Put).
function flatInstance(body, cls) {
    const el = children(body).find((c) => c.name === cls);
    if (!el) return null;
    const o = {};
    for (const c of children(el.xml)) o[c.name] = decodeEntities(c.xml);
    return o;
}

// A boot action as DMT's console sends it (console internal/usecase/devices power/boot options):
// Get AMT_BootSettingData -> Put it with the options of the action -> SetBootConfigRole(1) ->
// ChangeBootOrder(source) -> RequestPowerStateChange. Actions: 100 power on to BIOS, 101 reset to
// BIOS, 400 reset to PXE, 401 power on to PXE, cd-on / cd-reset power on / reset to CD/DVD.
const DMT_BOOT = {
    '100': { bios: true, source: null, power: 2 }, '101': { bios: true, source: null, power: 10 },
    '400': { bios: false, source: 'Intel(r) AMT: Force PXE Boot', power: 10 }, '401': { bios: false, source: 'Intel(r) AMT: Force PXE Boot', power: 2 },
    'cd-on': { bios: false, source: 'Intel(r) AMT: Force CD/DVD Boot', power: 2 }, 'cd-reset': { bios: false, source: 'Intel(r) AMT: Force CD/DVD Boot', power: 10 }
};

async function stepBoot(actionName) {
    const a = DMT_BOOT[actionName];
    const calls = [];
    const result = { status: null, stoppedAt: null, stoppedStatus: null, powerReturnValue: null, calls };
    const step = async (what, xml, output) => {
        const r = await postAllowingFault(xml, what);
        const entry = { call: what, status: r.status };
        if (r.fault) entry.fault = r.fault;
        let out = null;
        if (r.status === 200 && output) {
            out = inner(responseBody(r.body, what, 200), output);
            const rv = out == null ? null : text(out, 'ReturnValue');
            entry.ReturnValue = rv == null ? null : parseInt(rv, 10);
        }
        calls.push(entry);
        result.status = r.status;
        const ok = r.status === 200 && (!output || entry.ReturnValue === 0);
        if (!ok && result.stoppedAt == null) { result.stoppedAt = what; result.stoppedStatus = r.status; }
        return ok ? r : null;
    };
    const g = await step('Get AMT_BootSettingData', amt.BootSettingData.Get(), null);
    if (!g) return result;
    const data = flatInstance(responseBody(g.body, 'Get AMT_BootSettingData', 200), 'AMT_BootSettingData');
    if (!data) throw new StepError('Get AMT_BootSettingData: no <AMT_BootSettingData> in the body', 200, result);
    data.BIOSSetup = a.bios ? 'true' : 'false';
    data.BIOSPause = 'false'; data.UseSOL = 'false'; data.UseIDER = 'false'; data.UseSafeMode = 'false';
    data.ReflashBIOS = 'false'; data.IDERBootDevice = '0'; data.BootMediaIndex = '0'; data.FirmwareVerbosity = '0';
    if (!(await step('Put AMT_BootSettingData', amt.BootSettingData.Put(data), null))) return result;
    if (!(await step('CIM_BootService.SetBootConfigRole(1)', cim.BootService.SetBootConfigRole('Intel(r) AMT: Boot Configuration 0', 1), 'SetBootConfigRole_OUTPUT'))) return result;
    if (!(await step('CIM_BootConfigSetting.ChangeBootOrder(' + (a.source || '') + ')', cim.BootConfigSetting.ChangeBootOrder(a.source || undefined), 'ChangeBootOrder_OUTPUT'))) return result;
    const p = await step('CIM_PowerManagementService.RequestPowerStateChange(' + a.power + ')', cim.PowerManagementService.RequestPowerStateChange(a.power), 'RequestPowerStateChange_OUTPUT');
    result.powerReturnValue = calls[calls.length - 1].ReturnValue === undefined ? null : calls[calls.length - 1].ReturnValue;
    void p;
    return result;
}

async function stepBootSettings() {
    const g = await client.post(amt.BootSettingData.Get(), 'Get AMT_BootSettingData');
    const data = flatInstance(responseBody(g.body, 'Get AMT_BootSettingData', g.status), 'AMT_BootSettingData');
    if (!data) throw new StepError('Get AMT_BootSettingData: no <AMT_BootSettingData> in the body', g.status);
    const settings = {};
    for (const f of ['BIOSSetup', 'BIOSPause', 'UseSOL', 'UseIDER', 'IDERBootDevice', 'UseSafeMode', 'EnforceSecureBoot']) settings[f] = data[f] === undefined ? null : data[f];
    return { status: g.status, settings };
}

// The alarm clock as DMT's console reads it (go-wsman-messages: Get AMT_AlarmClockService, Enumerate
// + Pull IPS_AlarmClockOccurrence decoding ElementName, InstanceID, StartTime>Datetime,
// Interval>Interval, DeleteOnCompletion).
async function stepAlarms() {
    const g = await client.post(amt.AlarmClockService.Get(), 'Get AMT_AlarmClockService');
    const svc = flatInstance(responseBody(g.body, 'Get AMT_AlarmClockService', g.status), 'AMT_AlarmClockService');
    if (!svc) throw new StepError('Get AMT_AlarmClockService: no <AMT_AlarmClockService> in the body', g.status);
    const { status, items } = await enumeratePull(ips.AlarmClockOccurrence, 'IPS_AlarmClockOccurrence');
    const alarms = items.filter((i) => i.name === 'IPS_AlarmClockOccurrence').map((i) => {
        const start = text(i.xml, 'Datetime');
        return {
            ElementName: text(i.xml, 'ElementName'), InstanceID: text(i.xml, 'InstanceID'), StartTime: start,
            Interval: inner(i.xml, 'Interval') == null ? null : text(inner(i.xml, 'Interval'), 'Interval') || text(i.xml, 'Interval'),
            DeleteOnCompletion: text(i.xml, 'DeleteOnCompletion'), wakesAt: start ? Date.parse(start) : null,
            order: children(i.xml).map((c) => c.name)
        };
    });
    return { status, service: { Name: svc.Name, ElementName: svc.ElementName, SystemName: svc.SystemName }, alarms };
}

// DMT's console "add alarm": AMT.Messages AlarmClockService.AddAlarm({InstanceID, ElementName, StartTime: Date,
// Interval: minutes, DeleteOnCompletion}); StartTime <s> seconds from now.
async function stepAddAlarm(id, seconds, minutes) {
    const startMs = Math.floor(Date.now() / 1000) * 1000 + seconds * 1000;
    const occurrence = { InstanceID: id, ElementName: id, StartTime: new Date(startMs), DeleteOnCompletion: true };
    if (minutes) occurrence.Interval = minutes;
    const r = await client.post(amt.AlarmClockService.AddAlarm(occurrence), 'AMT_AlarmClockService.AddAlarm');
    const out = inner(responseBody(r.body, 'AddAlarm', r.status), 'AddAlarm_OUTPUT');
    if (out == null) throw new StepError('AddAlarm: no AddAlarm_OUTPUT in body', r.status);
    const rv = text(out, 'ReturnValue');
    return { status: r.status, ReturnValue: rv == null ? null : parseInt(rv, 10), selector: text(out, 'Selector'), startMs };
}

async function stepDeleteAlarm(id) {
    const r = await client.post(ips.AlarmClockOccurrence.Delete({ name: 'InstanceID', value: id }), 'Delete IPS_AlarmClockOccurrence');
    return { status: r.status };
}

// Intel DMT RPS's CIRA profile (rps src/stateMachines/ciraConfiguration.ts; cira.md 4.3), with the
// library's builders: delete the three policies (a missing one answers DestinationUnreachable, which
// RPS tolerates) and every MPS, read environment detection, add the MPS's root (2058: already
// there), AddMpServer, AddRemoteAccessPolicyRule periodic (25 s) and user-initiated (300 s) naming
// the MPS by Name, Put MpsType 2 on each AppliesToMPS, RequestStateChange(32771), Put environment
// detection with "<guid>.com".
async function stepCira(mpsHost, mpsPort, mpsUser, mpsPassword, pemFile) {
    const fs = require('fs');
    const result = { status: 200, deleted: [] };
    for (const name of ['User Initiated', 'Alert', 'Periodic']) {
        const r = await postAllowingFault(amt.RemoteAccessPolicyRule.Delete({ name: 'PolicyRuleName', value: name }), 'Delete policy ' + name);
        if (r.status === 200) result.deleted.push(name);
        else if (!/DestinationUnreachable/.test(r.fault || '')) throw new StepError('Delete policy ' + name + ': ' + r.fault, r.status, result);
    }
    const saps = await enumeratePull(amt.ManagementPresenceRemoteSAP, 'AMT_ManagementPresenceRemoteSAP');
    for (const sap of saps.items) {
        const name = text(sap.xml, 'Name');
        await client.post(amt.ManagementPresenceRemoteSAP.Delete({ name: 'Name', value: name }), 'Delete ' + name);
        result.deleted.push(name);
    }
    const envGet = await client.post(amt.EnvironmentDetectionSettingData.Get(), 'Get AMT_EnvironmentDetectionSettingData');
    const env = flatInstance(responseBody(envGet.body, 'Get environment detection', envGet.status), 'AMT_EnvironmentDetectionSettingData');
    const pem = fs.readFileSync(pemFile, 'ascii');
    const blob = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    const root = await client.post(amt.PublicKeyManagementService.AddTrustedRootCertificate({ CertificateBlob: blob }), 'AddTrustedRootCertificate');
    result.addTrustedRootCertificate = parseInt(text(responseBody(root.body, 'AddTrustedRootCertificate', root.status), 'ReturnValue'), 10);
    if (result.addTrustedRootCertificate !== 0 && result.addTrustedRootCertificate !== 2058) throw new StepError('AddTrustedRootCertificate: ' + result.addTrustedRootCertificate, root.status, result);
    const ip = /^\d+\.\d+\.\d+\.\d+$/.test(mpsHost);
    const mpsBody = { AccessInfo: mpsHost, InfoFormat: ip ? 3 : 201, Port: parseInt(mpsPort, 10), AuthMethod: 2, Username: mpsUser, Password: mpsPassword };
    if (ip) mpsBody.CommonName = mpsHost; // RPS sends CN only for an IP address
    const add = await client.post(amt.RemoteAccessService.AddMPS(mpsBody), 'AddMpServer');
    result.addMpServer = parseInt(text(responseBody(add.body, 'AddMpServer', add.status), 'ReturnValue'), 10);
    if (result.addMpServer !== 0) throw new StepError('AddMpServer: ' + result.addMpServer, add.status, result);
    const added = await enumeratePull(amt.ManagementPresenceRemoteSAP, 'AMT_ManagementPresenceRemoteSAP');
    const sapName = added.items.length ? text(added.items[0].xml, 'Name') : null;
    result.mps = sapName;
    result.policies = {};
    for (const [trigger, lifetime, data] of [[2, 0, 'AAAAAAAAABk='], [0, 300, '']]) {
        const r = await client.post(amt.RemoteAccessService.AddRemoteAccessPolicyRule({ Trigger: trigger, TunnelLifeTime: lifetime, ExtendedData: data }, { name: 'Name', value: sapName }), 'AddRemoteAccessPolicyRule ' + trigger);
        const out = responseBody(r.body, 'AddRemoteAccessPolicyRule', r.status);
        result.policies[trigger] = parseInt(text(out, 'ReturnValue'), 10);
        if (result.policies[trigger] !== 0) throw new StepError('AddRemoteAccessPolicyRule ' + trigger + ': ' + result.policies[trigger], r.status, result);
    }
    const applies = await enumeratePull(amt.RemoteAccessPolicyAppliesToMPS, 'AMT_RemoteAccessPolicyAppliesToMPS');
    result.appliesToMps = applies.items.length;
    const epr = (xml) => {
        const sel = [];
        const re = /<(?:[\w.-]+:)?Selector Name="([^"]+)">([^<]*)</g;
        let m;
        while ((m = re.exec(xml))) sel.push({ _: decodeEntities(m[2]), $: { Name: m[1] } });
        return { Address: text(xml, 'Address'), ReferenceParameters: { ResourceURI: text(xml, 'ResourceURI'), SelectorSet: { Selector: sel } } };
    };
    for (const item of applies.items) {
        const put = { ManagedElement: epr(inner(item.xml, 'ManagedElement')), PolicySet: epr(inner(item.xml, 'PolicySet')),
            MpsType: 2, OrderOfAccess: parseInt(text(item.xml, 'OrderOfAccess') || '0', 10) };
        await client.post(amt.RemoteAccessPolicyAppliesToMPS.Put(put), 'Put AMT_RemoteAccessPolicyAppliesToMPS');
    }
    const uic = await client.post(amt.UserInitiatedConnectionService.RequestStateChange(32771), 'RequestStateChange 32771');
    result.userInitiated = parseInt(text(responseBody(uic.body, 'RequestStateChange', uic.status), 'ReturnValue'), 10);
    const guid = crypto.randomUUID();
    const envPut = await client.post(amt.EnvironmentDetectionSettingData.Put({ ElementName: env.ElementName, InstanceID: env.InstanceID,
        DetectionAlgorithm: 0, DetectionStrings: [guid + '.com'], ChangeableType: 0 }), 'Put AMT_EnvironmentDetectionSettingData');
    const envAfter = flatInstance(responseBody(envPut.body, 'Put environment detection', envPut.status), 'AMT_EnvironmentDetectionSettingData');
    result.detectionStrings = envAfter ? envAfter.DetectionStrings : null;
    return result;
}

function parseStep(step) {
    let m;
    if (step === 'connect') return stepConnect;
    if (step === 'version') return stepVersion;
    if (step === 'power-state') return readPowerState;
    if (step === 'inventory') return stepInventory;
    if (step === 'classes') return stepClasses;
    if (step === 'invoke') return stepInvoke;
    if (step === 'boot-settings') return stepBootSettings;
    if ((m = /^boot:(100|101|400|401|cd-on|cd-reset)$/.exec(step))) { const a = m[1]; return () => stepBoot(a); }
    if (step === 'alarms') return stepAlarms;
    if ((m = /^add-alarm:([\w-]+):(\d+)(?::(\d+))?$/.exec(step))) { const id = m[1], sec = parseInt(m[2], 10), min = m[3] ? parseInt(m[3], 10) : 0; return () => stepAddAlarm(id, sec, min); }
    if ((m = /^delete-alarm:([\w-]+)$/.exec(step))) { const id = m[1]; return () => stepDeleteAlarm(id); }
    if ((m = /^cira:([^:]+):(\d+):([^:]+):([^:]+):(.+)$/.exec(step))) { const a = m.slice(1); return () => stepCira(...a); }
    if ((m = /^power:(\d+)$/.exec(step))) { const n = parseInt(m[1], 10); return () => stepPower(n); }
    if ((m = /^wait-power:(\d+)$/.exec(step))) { const n = parseInt(m[1], 10); return () => stepWaitPower(n); }
    return null;
}

async function main() {
    const plan = steps.map((s) => [s, parseStep(s)]);
    const bad = plan.find(([, f]) => f == null);
    if (bad) { console.error('unknown step: ' + bad[0]); usage(); }
    for (const [step, fn] of plan) {
        try {
            out(Object.assign({ step }, await fn()));
        } catch (e) {
            const extra = (e instanceof StepError) ? e.extra : {};
            out(Object.assign({ step, status: (e instanceof StepError) ? e.status : null }, extra, { error: e.message || String(e) }));
            return exit(1);
        }
    }
    exit(0);
}

setTimeout(() => {
    out({ step: '*', error: 'overall timeout after ' + OVERALL_TIMEOUT_MS + ' ms' });
    exit(2);
}, OVERALL_TIMEOUT_MS);

main().catch((e) => { out({ step: '*', error: 'internal error: ' + (e && e.stack || e) }); exit(1); });
