#!/usr/bin/env node
/*
 * Drives one vAMT WS-Management endpoint with MeshCentral's own Intel AMT stack, loaded unchanged
 * from the installed npm package (node_modules/meshcentral/amt/...):
 *
 *   amt/amt-wsman-comm.js  CreateWsmanComm         HTTP/1.1 keep-alive transport + Digest auth
 *   amt/amt-wsman.js       WsmanStackCreateService WS-Man envelopes, parsed by amt/amt-xml.js
 *   amt/amt.js             AmtStackCreateService   Get/Enum(+Pull)/Exec, BatchEnum, RequestPowerStateChange
 *
 * The stack is built exactly like amtmanager.js does for a LAN device without TLS
 * (CreateWsmanComm(host, 16992, user, pass, 0)); no stubs or globals are needed on that path.
 *
 * The hardware-inventory and network steps also run MeshCentral's own result handlers,
 * attemptFetchHardwareInventoryResponse() and attemptFetchNetworkResponse() from amtmanager.js.
 * Those are private to CreateAmtManager(), so their source text is cut out of the installed
 * amtmanager.js and compiled unchanged, with stubs only for the closure variables they use
 * (parent.db, parent.DispatchEvent, devTaskCompleted, ...). See loadAmtManagerFunctions().
 *
 * Usage: node meshcentral-session.js <host> <port> <user> <password> <step...>
 * Steps: connect | version | power-state | power:<n> | wait-power:<n> | processors
 *        | enable:<number>:<true|false> | inventory | network | os-power | certs | boot-settings
 *        | mc-power:<n> | mcmd-power:<100|101|400|401|cd-on|cd-reset>
 *        | alarms | add-alarm:<id>:<seconds from now>[:<interval, e.g. P1DT0H0M>] | delete-alarm:<id>
 * Each step prints ONE JSON line on stdout. Exit codes: 0 all steps ok, 1 a step failed (its line
 * carries "error"), 2 overall timeout (VAMT_CLIENT_TIMEOUT_MS, default 60000), 3 usage error.
 */
'use strict';

// MeshCentral's XML parser prints "Unable to parse XML: ..." with console.log: keep stdout for
// our JSON lines only.
console.log = (...args) => console.error(...args);

const path = require('path');
const fs = require('fs');
const nodeCrypto = require('crypto');

const MC_AMT_DIR = path.join(__dirname, 'node_modules', 'meshcentral', 'amt');
const CreateWsmanComm = require(path.join(MC_AMT_DIR, 'amt-wsman-comm.js'));
const WsmanStackCreateService = require(path.join(MC_AMT_DIR, 'amt-wsman.js'));
const AmtStackCreateService = require(path.join(MC_AMT_DIR, 'amt.js'));
const MC_AMTMANAGER = path.join(__dirname, 'node_modules', 'meshcentral', 'amtmanager.js');

const PROCESSOR_URI = 'http://schemas.vamt.org/wbem/wscim/1/vamt-schema/1/Processor';
const OVERALL_TIMEOUT_MS = parseInt(process.env.VAMT_CLIENT_TIMEOUT_MS || '60000', 10);
const WAIT_POWER_TIMEOUT_MS = 10000;
const WAIT_POWER_INTERVAL_MS = 250;

// Status codes that MeshCentral's stack produces itself (not HTTP).
const MC_STATUS_TEXT = {
    408: 'no answer / connection failed (MeshCentral status 408 after 5 attempts)',
    601: 'response not parseable by MeshCentral amt-xml.js (status 601)',
    603: 'EnumerateResponse without EnumerationContext (MeshCentral status 603)',
    604: 'Pull answer is not a PullResponse (MeshCentral status 604)',
    997: 'Digest realm changed (MeshCentral status 997)'
};

function out(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); }

function exit(code) {
    // stdout is synchronous for files and pipes on Linux; the callback makes sure of it anyway.
    process.stdout.write('', () => process.exit(code));
}

class StepError extends Error {
    constructor(message, status, extra) { super(message); this.status = status; this.extra = extra || {}; }
}

function statusError(what, status, response) {
    let msg = what + ' failed: ' + (MC_STATUS_TEXT[status] || ('HTTP ' + status));
    let fault = null;
    if (response && response.Header && response.Header.WsmanError) { fault = response.Header.WsmanError; }
    if (fault) msg += ': ' + fault;
    return new StepError(msg, status);
}

// ------------------------------------------------------------------------------------------------

function usage() {
    console.error('usage: node meshcentral-session.js <host> <port> <user> <password> <step...>');
    console.error('steps: connect | version | power-state | power:<n> | wait-power:<n> | processors | enable:<number>:<true|false> | inventory | network | os-power | certs | boot-settings | mc-power:<n> | mcmd-power:<100|101|400|401|cd-on|cd-reset> | alarms | add-alarm:<id>:<s>[:<interval>] | delete-alarm:<id>');
    process.exit(3);
}

const argv = process.argv.slice(2);
if (argv.length < 5) usage();
const [host, portStr, user, pass, ...steps] = argv;
const port = parseInt(portStr, 10);
if (!(port > 0 && port < 65536)) usage();

// Same construction as amtmanager.js attemptInitialContact() for a direct LAN connection without TLS.
const comm = CreateWsmanComm(host, port, user, pass, 0);
const wsstack = WsmanStackCreateService(comm);
const amtstack = AmtStackCreateService(wsstack);

// amt.js CompleteName() only maps AMT_/CIM_/IPS_ class names to ResourceURIs (and returns undefined
// otherwise). Let full ResourceURIs (vAMT's own classes) pass through unchanged, so Enum/Exec for
// them still go through MeshCentral's Enumerate/Pull loop and method-call code.
const mcCompleteName = amtstack.CompleteName;
amtstack.CompleteName = function (name) {
    if (/^https?:\/\//.test(name)) return name;
    return mcCompleteName(name);
};

// Promise wrappers around the callback API of amt.js -------------------------------------------

function batchEnum(names, batchName) {
    return new Promise((resolve) => {
        amtstack.BatchEnum(batchName === undefined ? null : batchName, names, (stack, name, responses, status) => resolve({ stack, name, responses, status }));
    });
}

function get(name) {
    return new Promise((resolve) => {
        amtstack.Get(name, (stack, n, response, status) => resolve({ response, status }));
    });
}

function enumerate(name) {
    return new Promise((resolve) => {
        amtstack.Enum(name, (stack, n, items, status) => resolve({ items, status }));
    });
}

function exec(name, method, args, selectors) {
    return new Promise((resolve) => {
        amtstack.Exec(name, method, args, (stack, n, response, status) => resolve({ response, status }), 0, 1, selectors);
    });
}

function requestPowerStateChange(powerState) {
    return new Promise((resolve) => {
        amtstack.RequestPowerStateChange(powerState, (stack, n, response, status) => resolve({ response, status }));
    });
}

// MeshCentral's amtmanager.js result handlers ------------------------------------------------------
//
// attemptFetchHardwareInventoryResponse(), attemptFetchNetworkResponse() and guidToStr() are inner
// functions of CreateAmtManager(parent) and are not exported. Constructing the whole manager would
// need a MeshCentral server object and would run its full device-management state machine against
// the device (time sync, TLS, accounts, ...). Instead their source is cut out of the installed
// amtmanager.js (so any change in the installed version is used as is) and compiled in strict
// mode, like the original file, with stubs for the free variables they use.

// Index just past the '}' that closes the '{' at src[open]; skips strings and comments.
function matchBrace(src, open) {
    let depth = 0;
    for (let i = open; i < src.length; i++) {
        const c = src[i];
        if (c === '"' || c === "'" || c === '`') {
            for (i++; i < src.length && src[i] !== c; i++) { if (src[i] === '\\') i++; }
        } else if (c === '/' && src[i + 1] === '/') {
            while (i < src.length && src[i] !== '\n') i++;
        } else if (c === '/' && src[i + 1] === '*') {
            i = src.indexOf('*/', i + 2); if (i < 0) break; i++;
        } else if (c === '{') {
            depth++;
        } else if (c === '}') {
            if (--depth === 0) return i + 1;
        }
    }
    throw new Error('unbalanced braces');
}

let amtManagerFunctions = null;
function loadAmtManagerFunctions() {
    if (amtManagerFunctions) return amtManagerFunctions;
    const src = fs.readFileSync(MC_AMTMANAGER, 'utf8');
    const lineOf = (idx) => src.substring(0, idx).split('\n').length;
    const names = ['guidToStr', 'attemptFetchHardwareInventoryResponse', 'attemptFetchNetworkResponse',
        'performPowerAction', 'performAdvancedPowerActionResponse', 'performPowerActionResponse'];
    const parts = [], where = {};
    for (const name of names) {
        const m = new RegExp('\\bfunction ' + name + '\\s*\\(').exec(src);
        if (!m) throw new Error('function ' + name + ' not found in ' + MC_AMTMANAGER);
        const end = matchBrace(src, src.indexOf('{', m.index));
        parts.push(src.substring(m.index, end));
        where[name] = 'amtmanager.js:' + lineOf(m.index) + '-' + lineOf(end - 1);
    }
    // Free variables of these functions inside CreateAmtManager: parent, obj, isAmtDeviceValid,
    // devTaskCompleted (and the functions included above).
    const factory = new Function('parent', 'obj', 'isAmtDeviceValid', 'devTaskCompleted',
        "'use strict';\n" + parts.join('\n') + '\nreturn { ' + names.join(', ') + ' };');
    console.error('meshcentral-session: using MeshCentral ' + Object.entries(where).map(([n, w]) => n + ' (' + w + ')').join(', '));
    amtManagerFunctions = { factory, where };
    return amtManagerFunctions;
}

// Instantiates the handlers with a recording fake of the MeshCentral server: parent.db.Set()
// captures the document MeshCentral would store (sysinfo / ifinfo); GetHash() reports no stored
// document, so a sysinfo document is always written.
function amtManagerHarness() {
    const rec = { docs: [], events: [], completed: 0 };
    const parent = {
        crypto: nodeCrypto,
        db: {
            Set: (doc) => { rec.docs.push(doc); },
            GetHash: (id, func) => { func(null, []); }
        },
        DispatchEvent: (targets, source, event) => { rec.events.push(event); },
        webserver: { CreateMeshDispatchTargets: () => [] },
        debug: () => { }
    };
    // obj.amtDevices: the power-action functions look the device up by node id and give up when it is gone.
    const managerObj = { amtDevices: { [amtstack.dev.nodeid]: [amtstack.dev] } };
    const fns = loadAmtManagerFunctions().factory(parent, managerObj, () => true, () => { rec.completed++; });
    return { fns, rec };
}

// amtmanager.js sets dev.amtstack.dev = dev; the handlers read stack.dev.
// performPowerAction() acts only on a connected (state 1) device that is not an LMS one (connType
// 3 = LAN); performPowerActionResponse() reads dev.aquired.majorver, set once `connect` has run.
amtstack.dev = { nodeid: 'node//vamt-' + host, meshid: 'mesh//vamt', name: host, domainid: '', connType: 3, state: 1, amtstack, aquired: {} };

// Request trace ------------------------------------------------------------------------------------
//
// MeshCentral's power-action chain (and MeshCommander's) is a series of callbacks that stop
// silently on the first non-200. To see where a chain went and when it is over, every
// Get/Put/Exec/Delete/Enum of amt.js is wrapped: each answered request is recorded (operation,
// class, method, key arguments, HTTP status, ReturnValue) and the chain counts as finished when
// no request is outstanding after a callback returned.
const trace = { calls: [], outstanding: 0, idle: [] };

function shortName(name) { return String(name).replace(/^.*\//, ''); }

function refInstanceId(epr) {
    const m = /<Selector Name="InstanceID">([^<]*)<\/Selector>/.exec(String(epr || ''));
    return m ? m[1] : null;
}

function describeExecArgs(method, args) {
    if (!args) return {};
    if (method === 'ChangeBootOrder') return { Source: args.Source == null ? null : refInstanceId(args.Source) };
    if (method === 'SetBootConfigRole') return { BootConfigSetting: refInstanceId(args.BootConfigSetting), Role: args.Role };
    if (method === 'RequestPowerStateChange' || method === 'RequestOSPowerSavingStateChange') return { PowerState: args.PowerState !== undefined ? args.PowerState : args.OSPowerSavingState };
    return {};
}

function traceOp(op, cbIndex, describe) {
    const original = amtstack[op];
    amtstack[op] = function (...args) {
        const entry = Object.assign({ op }, describe(args));
        const callback = args[cbIndex];
        trace.outstanding++;
        args[cbIndex] = function (stack, name, response, status) {
            entry.status = status;
            if (response && response.Body && response.Body.ReturnValue !== undefined) entry.ReturnValue = response.Body.ReturnValue;
            if (status != 200 && response && response.Header && response.Header.WsmanError) entry.fault = response.Header.WsmanError;
            trace.calls.push(entry);
            try {
                return callback.apply(this, arguments);
            } finally {
                trace.outstanding--;
                if (trace.outstanding === 0) setImmediate(() => { if (trace.outstanding === 0) trace.idle.splice(0).forEach((r) => r()); });
            }
        };
        return original.apply(this, args);
    };
}
traceOp('Get', 1, (a) => ({ class: shortName(a[0]) }));
traceOp('Enum', 1, (a) => ({ class: shortName(a[0]) }));
traceOp('Put', 2, (a) => ({ class: shortName(a[0]), body: a[1] ? Object.assign({}, a[1]) : null }));
traceOp('Delete', 2, (a) => ({ class: shortName(a[0]), selectors: a[1] }));
traceOp('Exec', 3, (a) => Object.assign({ class: shortName(a[0]), method: a[1] }, describeExecArgs(a[1], a[2])));

// Runs start(), which sends requests through amt.js, and resolves with the requests it made once
// the chain has ended (nothing outstanding) or after timeoutMs.
function runChain(start, timeoutMs) {
    trace.calls = [];
    return new Promise((resolve) => {
        let done = false;
        const finish = (timedOut) => { if (!done) { done = true; resolve({ calls: trace.calls.slice(), timedOut }); } };
        trace.idle.push(() => finish(false));
        setTimeout(() => finish(true), timeoutMs || 20000);
        start();
        if (trace.outstanding === 0) setImmediate(() => { if (trace.outstanding === 0) finish(false); });
    });
}

// The trace entries as the step prints them (the Put body only as the boot options that matter).
const BOOT_FLAGS = ['BIOSSetup', 'BIOSPause', 'UseSOL', 'UseIDER', 'IDERBootDevice', 'UseSafeMode', 'EnforceSecureBoot', 'ConfigurationDataReset'];
function printableCalls(calls) {
    return calls.map((c) => {
        const p = Object.assign({}, c);
        if (p.body) {
            const flags = {};
            for (const f of BOOT_FLAGS) if (p.body[f] !== undefined) flags[f] = p.body[f];
            p.body = flags;
        }
        return p;
    });
}

function mcHandlerError(fnName, e, status, extra) {
    return new StepError('MeshCentral ' + fnName + ' (' + loadAmtManagerFunctions().where[fnName] + ') threw: ' + (e && e.message || String(e)), status, extra);
}

// Steps ------------------------------------------------------------------------------------------

async function stepConnect() {
    // amtmanager.js: BatchEnum(null, ['*AMT_GeneralSettings', '*IPS_HostBasedSetupService'], attemptLocalConnectResponse)
    const { responses, status } = await batchEnum(['*AMT_GeneralSettings', '*IPS_HostBasedSetupService']);
    const gs = responses && responses['AMT_GeneralSettings'];
    const hbs = responses && responses['IPS_HostBasedSetupService'];
    const result = {
        status,
        generalSettingsStatus: gs ? gs.status : null,
        hostBasedSetupServiceStatus: hbs ? hbs.status : null,
        DigestRealm: (gs && gs.status == 200 && gs.response) ? gs.response.DigestRealm : null,
        HostName: (gs && gs.status == 200 && gs.response) ? gs.response.HostName : null,
        CurrentControlMode: (hbs && hbs.status == 200 && hbs.response) ? hbs.response.CurrentControlMode : null,
        challengeRealm: comm.digestRealm,
        amtVersion: comm.amtVersion
    };
    result.realmMatch = (result.DigestRealm != null) && (comm.digestRealm == result.DigestRealm);
    // Same acceptance test as amtmanager.js attemptLocalConnectResponse().
    const accepted = (status == 200) && (gs != null) && (hbs != null) && (hbs.response != null) && result.realmMatch;
    if (!accepted) {
        let why;
        if (gs && gs.status != 200) why = 'Get AMT_GeneralSettings: ' + (MC_STATUS_TEXT[gs.status] || ('HTTP ' + gs.status));
        else if (hbs && hbs.status != 200) why = 'Get IPS_HostBasedSetupService: ' + (MC_STATUS_TEXT[hbs.status] || ('HTTP ' + hbs.status));
        else if (!gs || !hbs) why = 'batch stopped with status ' + status;
        else why = 'Digest realm of the 401 challenge (' + comm.digestRealm + ') != AMT_GeneralSettings.DigestRealm (' + result.DigestRealm + ')';
        throw new StepError('MeshCentral would reject this device: ' + why, status, result);
    }
    return result;
}

async function stepVersion() {
    const { items, status } = await enumerate('CIM_SoftwareIdentity');
    if (status != 200 || items == null) throw statusError('Enumerate CIM_SoftwareIdentity', status);
    const amt = items.find((i) => i && i.InstanceID === 'AMT');
    if (!amt) throw new StepError('no CIM_SoftwareIdentity instance with InstanceID "AMT"', status);
    if (typeof amt.VersionString !== 'string') throw new StepError('CIM_SoftwareIdentity[AMT].VersionString missing or not a string: ' + JSON.stringify(amt.VersionString), status);
    return { status, version: amt.VersionString };
}

async function readPowerState() {
    // amtmanager.js power polling: BatchEnum(null, ['CIM_ServiceAvailableToElement'], ...) then responses[0].PowerState
    const { responses, status } = await batchEnum(['CIM_ServiceAvailableToElement']);
    const r = responses && responses['CIM_ServiceAvailableToElement'];
    if (status != 200 || !r || r.status != 200) throw statusError('Enumerate CIM_ServiceAvailableToElement', r ? r.status : status);
    if (r.responses == null || r.responses.length < 1) throw new StepError('CIM_ServiceAvailableToElement: no instance', status);
    const ps = r.responses[0].PowerState;
    if (typeof ps !== 'number') throw new StepError('PowerState missing or not a number: ' + JSON.stringify(ps), status);
    return { status, PowerState: ps };
}

async function stepPower(n) {
    // amtmanager.js performPowerAction(): dev.amtstack.RequestPowerStateChange(action, performPowerActionResponse)
    const { response, status } = await requestPowerStateChange(n);
    if (status != 200) throw statusError('CIM_PowerManagementService.RequestPowerStateChange', status, response);
    if (!response || !response.Body || response.Body.ReturnValue === undefined) throw new StepError('RequestPowerStateChange_OUTPUT without ReturnValue', status);
    return { status, ReturnValue: response.Body.ReturnValue, ReturnValueStr: response.Body.ReturnValueStr };
}

async function stepWaitPower(n) {
    const start = Date.now();
    let last = null;
    for (;;) {
        last = await readPowerState();
        const elapsedMs = Date.now() - start;
        if (last.PowerState === n) return { status: last.status, PowerState: last.PowerState, elapsedMs };
        if (elapsedMs >= WAIT_POWER_TIMEOUT_MS) {
            throw new StepError('timeout: PowerState still ' + last.PowerState + ' after ' + elapsedMs + ' ms', last.status, { PowerState: last.PowerState, elapsedMs });
        }
        await new Promise((r) => setTimeout(r, WAIT_POWER_INTERVAL_MS));
    }
}

async function stepProcessors() {
    const { items, status } = await enumerate(PROCESSOR_URI);
    if (status != 200 || items == null) throw statusError('Enumerate Processor', status);
    return { status, processors: items.map((i) => ({ Number: i.Number, EnabledState: i.EnabledState })) };
}

async function stepEnable(number, enabled) {
    const { response, status } = await exec(PROCESSOR_URI, 'Enable', { Enabled: enabled ? 'true' : 'false' }, { Number: String(number) });
    if (status != 200) throw statusError('Processor.Enable', status, response);
    if (!response || !response.Body || response.Body.ReturnValue === undefined) throw new StepError('Enable_OUTPUT without ReturnValue', status);
    return { status, ReturnValue: response.Body.ReturnValue };
}

// amtmanager.js attemptFetchHardwareInventory(), line 2420 in 1.1.55.
const INVENTORY_BATCH = ['*CIM_ComputerSystemPackage', 'CIM_SystemPackaging', '*CIM_Chassis', 'CIM_Chip', '*CIM_Card', '*CIM_BIOSElement', 'CIM_Processor', 'CIM_PhysicalMemory', 'CIM_MediaAccessDevice', 'CIM_PhysicalPackage'];

function classStatuses(names, responses) {
    const result = {};
    for (const n of names) {
        const cls = n.replace(/^\*/, '');
        result[cls] = (responses && responses[cls]) ? responses[cls].status : null; // null: the batch stopped before it
    }
    return result;
}

function firstBadClass(classStatus) {
    const bad = Object.entries(classStatus).find(([, st]) => st !== 200);
    if (!bad) return null;
    const [cls, st] = bad;
    return cls + ': ' + (st == null ? 'not requested, the batch stopped earlier' : (MC_STATUS_TEXT[st] || ('HTTP ' + st)));
}

async function stepInventory() {
    const { stack, name, responses, status } = await batchEnum(INVENTORY_BATCH, '');
    const classStatus = classStatuses(INVENTORY_BATCH, responses);
    const extra = { classStatus };

    // MeshCentral's own handler, called with the arguments BatchEnum gives it.
    const { fns, rec } = amtManagerHarness();
    let mcError = null;
    try { fns.attemptFetchHardwareInventoryResponse(stack, name, responses, status); } catch (e) { mcError = e; }

    const bad = firstBadClass(classStatus);
    if (bad) {
        if (mcError) extra.meshcentralError = mcError.message;
        throw new StepError('hardware inventory batch: ' + bad, status, extra);
    }
    if (mcError) throw mcHandlerError('attemptFetchHardwareInventoryResponse', mcError, status, extra);
    const hw2 = rec.docs.find((d) => d && d.type === 'sysinfo');
    if (!hw2) throw new StepError('MeshCentral stored no sysinfo document (batch status ' + status + ')', status, extra);
    if (rec.completed !== 1) throw new StepError('MeshCentral handler did not complete its task exactly once (' + rec.completed + ')', status, extra);

    const ids = hw2.hardware.identifiers || {};
    const win = hw2.hardware.windows || {};
    // Same chip filter as amtmanager.js (it keeps only the last match as cpu_name).
    const chips = responses['CIM_Chip'].responses || [];
    const cpus = chips.filter((c) => c.ElementName == 'Managed System Processor Chip' && c.Version).map((c) => c.Version);
    const memory = win.memory || [];
    // MeshCentral's Intel AMT hardware page (public/commander.htm processHardware()) shows disk n
    // with the Model of CIM_PhysicalPackage item n + 1; amtmanager.js itself stores only
    // Caption = DeviceID and Size = MaxMediaSize * 1000.
    const packages = responses['CIM_PhysicalPackage'].responses || [];
    const disks = (ids.storage_devices || []).map((d, i) => ({
        caption: d.Caption,
        model: (packages[i + 1] && packages[i + 1].Model !== undefined) ? packages[i + 1].Model : null,
        sizeBytes: d.Size === undefined ? null : d.Size
    }));
    const ch = responses['CIM_Chassis'].response || {};
    const sp = responses['CIM_SystemPackaging'].responses || [];
    const orNull = (v) => (v === undefined ? null : v);
    // CPU clocks and DIMM speeds as MeshCentral's XML parser gives them (MeshCommander's hardware
    // page shows "Maximum socket speed" = MaxClockSpeed + " MHz").
    const processors = (responses['CIM_Processor'].responses || []).map((p) => ({
        CurrentClockSpeed: orNull(p.CurrentClockSpeed), MaxClockSpeed: orNull(p.MaxClockSpeed),
        ExternalBusClockSpeed: orNull(p.ExternalBusClockSpeed)
    }));
    const dimms = (responses['CIM_PhysicalMemory'].responses || []).map((m) => ({
        Speed: orNull(m.Speed), MaxMemorySpeed: orNull(m.MaxMemorySpeed),
        ConfiguredMemoryClockSpeed: orNull(m.ConfiguredMemoryClockSpeed), IsSpeedInMhz: orNull(m.IsSpeedInMhz)
    }));
    return {
        status,
        classStatus,
        uuid: ids.product_uuid,
        // commander.htm "System ID": guidToStr(CIM_SystemPackaging[0].PlatformGUID)
        systemPackagingUuid: (sp[0] && typeof sp[0].PlatformGUID === 'string') ? fns.guidToStr(sp[0].PlatformGUID) : null,
        cpus,
        cpuName: orNull(ids.cpu_name),
        memoryBytes: memory.reduce((sum, m) => sum + Number(m.Capacity || 0), 0),
        memoryModules: memory.length,
        disks,
        bios: { vendor: orNull(ids.bios_vendor), version: orNull(ids.bios_version), date: orNull(ids.bios_date) },
        board: { vendor: orNull(ids.board_vendor), name: orNull(ids.board_name), version: orNull(ids.board_version), serial: orNull(ids.board_serial) },
        chassis: { manufacturer: orNull(ch.Manufacturer), model: orNull(ch.Model), version: orNull(ch.Version), serial: orNull(ch.SerialNumber) },
        processors,
        maxSocketSpeed: processors.length ? processors[0].MaxClockSpeed + ' MHz' : null,
        dimms,
        sysinfoHash: hw2.hash
    };
}

async function stepNetwork() {
    // amtmanager.js attemptFetchHardwareInventory(), line 2421: BatchEnum('', ['AMT_EthernetPortSettings'], attemptFetchNetworkResponse)
    const { stack, name, responses, status } = await batchEnum(['AMT_EthernetPortSettings'], '');
    const r = responses && responses['AMT_EthernetPortSettings'];
    if (status != 200 || !r || r.status != 200) throw statusError('Enumerate AMT_EthernetPortSettings', r ? r.status : status);
    const { fns, rec } = amtManagerHarness();
    try { fns.attemptFetchNetworkResponse(stack, name, responses, status); } catch (e) { throw mcHandlerError('attemptFetchNetworkResponse', e, status); }
    if (rec.completed !== 1) throw new StepError('MeshCentral handler did not complete its task exactly once (' + rec.completed + ')', status);
    const ifinfo = rec.docs.find((d) => d && d.type === 'ifinfo');
    const ports = (r.responses || []).map((p) => ({
        MACAddress: p.MACAddress === undefined ? null : p.MACAddress,
        LinkIsUp: p.LinkIsUp === undefined ? null : p.LinkIsUp,
        wireless: p.WLANLinkProtectionLevel != null // MeshCentral's test for a wireless port
    }));
    // netif2: what MeshCentral stores (null: it found no port with a non-zero MAC and stored nothing).
    return { status, ports, netif2: ifinfo ? ifinfo.netif2 : null };
}

async function stepOsPower() {
    // amtmanager.js fetchPowerState(), lines 935-943 in 1.1.55.
    const { response, status } = await get('IPS_PowerManagementService');
    if (status != 200) throw statusError('Get IPS_PowerManagementService', status, response);
    if (!response || !response.Body) throw new StepError('IPS_PowerManagementService response without Body (MeshCentral reads response.Body.OSPowerSavingState)', status);
    const s = response.Body.OSPowerSavingState;
    let meshPowerState = -1;
    if (s == 2) { meshPowerState = 1; } else if (s == 3) { meshPowerState = 2; }
    return { status, OSPowerSavingState: s === undefined ? null : s, meshPowerState };
}

// amtmanager.js attemptCleanCertsSync(), run on every connection: enumerate certificates and key
// pairs, then try to delete every certificate that is not a trusted root. MeshCentral carries on
// without clean-up when either enumeration is not 200 ("We can't get the certificate list").
async function stepCerts() {
    const { responses, status } = await batchEnum(['AMT_PublicKeyCertificate', 'AMT_PublicPrivateKeyPair']);
    const c = responses && responses['AMT_PublicKeyCertificate'];
    const k = responses && responses['AMT_PublicPrivateKeyPair'];
    const result = { status, certificateStatus: c ? c.status : null, keyPairStatus: k ? k.status : null, cleanup: null, deletes: [] };
    if (!c || !k || c.status != 200 || k.status != 200) { result.cleanup = 'skipped'; return result; }
    if (c.responses.length == 0 || k.responses.length == 0) { result.cleanup = 'empty'; return result; }
    result.certificates = c.responses.map((x) => ({ InstanceID: x.InstanceID, TrustedRootCertficate: x.TrustedRootCertficate == true }));
    const untrusted = c.responses.filter((x) => x.TrustedRootCertficate != true);
    for (const cert of untrusted) {
        const r = await new Promise((resolve) => amtstack.Delete('AMT_PublicKeyCertificate', { InstanceID: cert.InstanceID }, (st, n, resp, s2) => resolve(s2)));
        result.deletes.push({ InstanceID: cert.InstanceID, status: r });
    }
    result.cleanup = 'attempted';
    return result;
}

// AMT_BootSettingData, AMT_BootCapabilities and CIM_BootSourceSetting as the consoles read them.
async function stepBootSettings() {
    const { responses, status } = await batchEnum(['*AMT_BootSettingData', '*AMT_BootCapabilities', 'CIM_BootSourceSetting']);
    const bsd = responses && responses['AMT_BootSettingData'];
    const cap = responses && responses['AMT_BootCapabilities'];
    const src = responses && responses['CIM_BootSourceSetting'];
    for (const [n, r] of [['Get AMT_BootSettingData', bsd], ['Get AMT_BootCapabilities', cap], ['Enumerate CIM_BootSourceSetting', src]]) {
        if (!r || r.status != 200) throw statusError(n, r ? r.status : status);
    }
    const settings = {};
    for (const f of BOOT_FLAGS) settings[f] = bsd.response[f] === undefined ? null : bsd.response[f];
    const capabilities = {};
    for (const f of ['BIOSSetup', 'BIOSPause', 'IDER', 'SOL', 'ForcePXEBoot', 'ForceHardDriveBoot', 'ForceCDorDVDBoot', 'ForceDiagnosticBoot']) capabilities[f] = cap.response[f] === undefined ? null : cap.response[f];
    return { status, settings, capabilities, sources: src.responses.map((x) => x.InstanceID) };
}

function amtMajorVersion() {
    const v = comm.amtVersion ? parseInt(String(comm.amtVersion).split('.')[0], 10) : NaN;
    if (!(v > 0)) throw new StepError('AMT version unknown: run the connect step first', null);
    return v;
}

function chainResult(calls, timedOut, what) {
    if (timedOut) throw new StepError(what + ': the request chain did not end within 20 s', null, { calls: printableCalls(calls) });
    const failed = calls.find((c) => c.status != 200);
    const power = calls.find((c) => c.method === 'RequestPowerStateChange');
    return {
        status: calls.length ? calls[calls.length - 1].status : null,
        stoppedAt: failed ? (failed.op + ' ' + failed.class + (failed.method ? '.' + failed.method : '')) : null,
        stoppedStatus: failed ? failed.status : null,
        powerReturnValue: (power && power.status == 200) ? power.ReturnValue : null,
        calls: printableCalls(calls)
    };
}

// MeshCentral's own power actions (amtmanager.js performPowerAction(), cut out of the installed
// file): 2 on, 5 cycle, 8 off, 10 reset, directly; 11/12 on/reset to BIOS, 13/14 the same with
// SOL, 15/16 on/reset to PXE through Get+Put AMT_BootSettingData, SetBootConfigRole(1),
// ChangeBootOrder and RequestPowerStateChange. MeshCentral stops silently on a non-200; the line
// says where (stoppedAt) and what every request answered (calls).
async function stepMeshCentralPowerAction(action) {
    amtstack.dev.aquired.majorver = amtMajorVersion();
    const { fns } = amtManagerHarness();
    const { calls, timedOut } = await runChain(() => fns.performPowerAction(amtstack.dev.nodeid, action));
    return chainResult(calls, timedOut, 'MeshCentral performPowerAction(' + action + ')');
}

// MeshCommander's power dialog (public/commander.htm: powerActionDlg, powerActionResponse0/1/2/3x/3/4),
// the "Intel AMT" tab of MeshCentral. The minified page cannot be loaded in Node, so its request
// chain is followed here step by step, with its values and its stop conditions:
//   Get IPS_OptInService (AMT >= 6) -> Get AMT_BootSettingData -> ChangeBootOrder() -> Put
//   AMT_BootSettingData -> SetBootConfigRole(1) -> ChangeBootOrder(source) -> RequestPowerStateChange
//   -> Get CIM_AssociatedPowerManagementService.
// Actions: 100 power on to BIOS, 101 reset to BIOS, 400 reset to PXE, 401 power on to PXE, and
// the "advanced" dialog (999) with boot source "Force CD/DVD Boot": cd-on (power on), cd-reset.
const MCMD_ACTIONS = { '100': 100, '101': 101, '400': 400, '401': 401, 'cd-on': 999, 'cd-reset': 999 };

function mcmdCall(fn) { return new Promise((resolve) => fn((stack, name, response, status) => resolve({ response, status }))); }

async function stepMeshCommanderPowerAction(actionName) {
    const b = MCMD_ACTIONS[actionName];
    const advancedAction = actionName === 'cd-reset' ? 10 : 2;
    const calls = [];
    const run = async () => {
        if (amtMajorVersion() >= 6) {
            const optIn = await mcmdCall((cb) => amtstack.Get('IPS_OptInService', cb, 0, 1));
            if (optIn.status != 200) return; // MeshCommander: messagebox "Error #<status>"
            const o = optIn.response.Body;
            if (o.OptInRequired == 4294967295 && o.OptInState != 3 && o.OptInState != 4) return; // would ask for user consent
        }
        const g = await mcmdCall((cb) => amtstack.Get('AMT_BootSettingData', cb, 0, 1));
        if (g.status != 200) return;
        const e = g.response.Body;
        e.ConfigurationDataReset = false;
        for (const k of ['WinREBootEnabled', 'UEFILocalPBABootEnabled', 'UEFIHTTPSBootEnabled', 'SecureBootControlEnabled', 'BootguardStatus', 'OptionsCleared', 'BIOSLastStatus', 'UefiBootParametersArray', 'RPEEnabled']) delete e[k];
        // 999: the advanced dialog with nothing ticked; otherwise the values of the plain actions.
        e.BIOSPause = false; e.EnforceSecureBoot = false;
        e.BIOSSetup = (b == 999) ? false : (99 < b && b < 104);
        e.BootMediaIndex = 0; e.FirmwareVerbosity = 0; e.ForcedProgressEvents = false;
        e.IDERBootDevice = (b == 202 || b == 203) ? 1 : 0;
        e.LockKeyboard = false; e.LockPowerButton = false; e.LockResetButton = false; e.LockSleepButton = false;
        e.ReflashBIOS = false;
        e.UseIDER = (b == 999) ? false : (199 < b && b < 300);
        e.UseSOL = false; // only in the terminal view
        e.UseSafeMode = false; e.UserPasswordBypass = false;
        if (e.SecureErase != null) e.SecureErase = false;
        if (e.PlatformErase != null) e.PlatformErase = false;
        if (e.ConfigurationDataReset != null) e.ConfigurationDataReset = false;
        const clear = await mcmdCall((cb) => amtstack.CIM_BootConfigSetting_ChangeBootOrder(null, cb));
        if (clear.status != 200 || clear.response.Body.ReturnValue != 0) return;
        const put = await mcmdCall((cb) => amtstack.Put('AMT_BootSettingData', e, cb, 0, 1));
        if (put.status != 200) return;
        await mcmdCall((cb) => amtstack.SetBootConfigRole(1, cb)); // powerActionResponse3x ignores its answer
        let source = null;
        if (b == 999) source = 'Force CD/DVD Boot';
        if (b == 400 || b == 401) source = 'Force PXE Boot';
        const order = await mcmdCall((cb) => amtstack.CIM_BootConfigSetting_ChangeBootOrder(source == null ? null : '<Address xmlns="http://schemas.xmlsoap.org/ws/2004/08/addressing">http://schemas.xmlsoap.org/ws/2004/08/addressing</Address><ReferenceParameters xmlns="http://schemas.xmlsoap.org/ws/2004/08/addressing"><ResourceURI xmlns="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_BootSourceSetting</ResourceURI><SelectorSet xmlns="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><Selector Name="InstanceID">Intel(r) AMT: ' + source + '</Selector></SelectorSet></ReferenceParameters>', cb));
        if (order.status != 200 || order.response.Body.ReturnValue != 0) return;
        let power = b;
        if ([100, 201, 203, 300, 401, 601].includes(b)) power = 2;
        if ([101, 200, 202, 301, 400, 600].includes(b)) power = 10;
        if (b == 999) power = advancedAction;
        await mcmdCall((cb) => amtstack.RequestPowerStateChange(power, cb));
        await mcmdCall((cb) => amtstack.Get('CIM_AssociatedPowerManagementService', cb, 0, 1));
    };
    const { calls: made, timedOut } = await runChain(() => { run().catch((ex) => { calls.push({ op: 'internal', error: String(ex && ex.stack || ex) }); }); }, 20000);
    if (calls.length) throw new StepError('MeshCommander chain failed: ' + calls[0].error, null);
    return chainResult(made, timedOut, 'MeshCommander power action ' + actionName);
}

// Alarm clock, as MeshCommander's "Wake alarms" tab reads it (PullAlarms: Enum IPS_AlarmClockOccurrence,
// then StartTime.Datetime / Interval.Interval of each item) after a Get of the service.
async function stepAlarms() {
    const g = await get('AMT_AlarmClockService');
    if (g.status !== 200) throw statusError('Get AMT_AlarmClockService', g.status, g.response);
    const svc = g.response.Body;
    const e = await enumerate('IPS_AlarmClockOccurrence');
    if (e.status !== 200) throw statusError('Enum IPS_AlarmClockOccurrence', e.status, null);
    const alarms = e.items.map((a) => ({
        InstanceID: a.InstanceID, ElementName: a.ElementName,
        StartTime: a.StartTime && a.StartTime.Datetime, Interval: a.Interval ? a.Interval.Interval : null,
        DeleteOnCompletion: a.DeleteOnCompletion, wakesAt: new Date(a.StartTime.Datetime).getTime()
    }));
    return { status: e.status, service: { Name: svc.Name, ElementName: svc.ElementName, SystemName: svc.SystemName }, alarms };
}

// MeshCentral's own AddAlarm (amt.js AMT_AlarmClockService_AddAlarm, as meshcmd's AlarmClock update
// calls it): StartTime {Datetime}, optional Interval, DeleteOnCompletion true. Starts in <s> seconds.
async function stepAddAlarm(id, seconds, interval) {
    const start = new Date(Math.floor(Date.now() / 1000) * 1000 + seconds * 1000).toISOString().split('.')[0] + 'Z';
    const alarm = { InstanceID: id, ElementName: id, StartTime: { Datetime: start }, DeleteOnCompletion: true };
    if (interval) alarm.Interval = { Datetime: interval };
    const r = await new Promise((resolve) => amtstack.AMT_AlarmClockService_AddAlarm(alarm,
        (stack, n, response, status) => resolve({ response, status })));
    if (r.status !== 200) throw statusError('AMT_AlarmClockService.AddAlarm', r.status, r.response);
    const body = r.response.Body;
    // MeshCentral reads reference outputs at ReferenceParameters/SelectorSet/Selector
    const ref = body.AlarmClock && body.AlarmClock.ReferenceParameters;
    const sel = ref && ref.SelectorSet && ref.SelectorSet.Selector;
    const selector = sel == null ? null : (typeof sel === 'object' ? (sel.Value !== undefined ? sel.Value : sel['#text'] || JSON.stringify(sel)) : sel);
    return { status: r.status, ReturnValue: body.ReturnValue, ReturnValueStr: body.ReturnValueStr, selector, StartTime: start, startMs: Date.parse(start) };
}

// MeshCommander's "Remove all alarms": Delete IPS_AlarmClockOccurrence by its InstanceID.
async function stepDeleteAlarm(id) {
    const status = await new Promise((resolve) => amtstack.Delete('IPS_AlarmClockOccurrence', { InstanceID: id },
        (st, n, resp, s2) => resolve(s2)));
    if (status !== 200) throw statusError('Delete IPS_AlarmClockOccurrence', status, null);
    return { status };
}

function parseStep(step) {
    let m;
    if (step === 'connect') return stepConnect;
    if (step === 'version') return stepVersion;
    if (step === 'power-state') return readPowerState;
    if (step === 'processors') return stepProcessors;
    if (step === 'inventory') return stepInventory;
    if (step === 'network') return stepNetwork;
    if (step === 'os-power') return stepOsPower;
    if (step === 'certs') return stepCerts;
    if (step === 'boot-settings') return stepBootSettings;
    if ((m = /^mc-power:(\d+)$/.exec(step))) { const n = parseInt(m[1], 10); return () => stepMeshCentralPowerAction(n); }
    if ((m = /^mcmd-power:(100|101|400|401|cd-on|cd-reset)$/.exec(step))) { const a = m[1]; return () => stepMeshCommanderPowerAction(a); }
    if ((m = /^power:(\d+)$/.exec(step))) { const n = parseInt(m[1], 10); return () => stepPower(n); }
    if ((m = /^wait-power:(\d+)$/.exec(step))) { const n = parseInt(m[1], 10); return () => stepWaitPower(n); }
    if (step === 'alarms') return stepAlarms;
    if ((m = /^add-alarm:([\w-]+):(\d+)(?::(P[\dDTHM]+))?$/.exec(step))) { const id = m[1], sec = parseInt(m[2], 10), iv = m[3]; return () => stepAddAlarm(id, sec, iv); }
    if ((m = /^delete-alarm:([\w-]+)$/.exec(step))) { const id = m[1]; return () => stepDeleteAlarm(id); }
    if ((m = /^enable:(\d+):(true|false)$/.exec(step))) { const n = parseInt(m[1], 10), e = (m[2] === 'true'); return () => stepEnable(n, e); }
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
            comm.destroy();
            return exit(1);
        }
    }
    comm.destroy();
    exit(0);
}

const overall = setTimeout(() => {
    out({ step: '*', error: 'overall timeout after ' + OVERALL_TIMEOUT_MS + ' ms' });
    exit(2);
}, OVERALL_TIMEOUT_MS);
// Deliberately not unref()'d: if MeshCentral's stack ever drops a callback, we still end with exit 2.
void overall;

main().catch((e) => { out({ step: '*', error: 'internal error: ' + (e && e.stack || e) }); exit(1); });
