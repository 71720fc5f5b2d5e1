package org.vamt.legacysoap.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimValues;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;
import org.vamt.endpoints.EndpointPathHandler;

/**
 * AMT's SOAP interface of AMT 1 to 8, as far as Debian's {@code amttool} uses it (compat §6):
 * version, host name, power state, remote-control capabilities and power control, on every VM's
 * endpoint beside {@code /wsman}. The WS-Management listener has already checked Digest; every
 * call here is a CIM operation on the classes that WS-Management clients use for the same thing,
 * through the listener's authorized CIMOM, so realms, per-VM grants and providers are shared and
 * nothing is mapped twice.
 */
@Component(service = EndpointPathHandler.class, property = {
    EndpointPathHandler.PATH + "=/RemoteControlService",
    EndpointPathHandler.PATH + "=/SecurityAdministrationService",
    EndpointPathHandler.PATH + "=/NetworkAdministrationService"})
public class LegacySoapEndpoint implements EndpointPathHandler {
    private static final Logger LOG = LoggerFactory.getLogger(LegacySoapEndpoint.class);

    /** Intel's IANA enterprise number, and ASF's, which AMT also accepts for standard commands. */
    static final long IANA_INTEL = 343;
    static final long IANA_ASF = 4542;
    /** AMT audit log: the remote control application; event 4 = boot options changed. */
    static final int AUDIT_REMOTE_CONTROL = 17;
    static final int AUDIT_BOOT_OPTIONS = 4;
    /** SystemCapabilitiesSupported: power cycle reset, power down, power up, reset (AMT SDK flags). */
    static final int ALL_POWER_ACTIONS = 0x0F;

    private final CimObjectManager cim;

    /** The CIMOM holds each caller to the realms the same WS-Management operation needs. */
    @Activate
    public LegacySoapEndpoint(@Reference CimObjectManager cim) {
        this.cim = cim;
    }

    @Override
    public Reply handle(Call call) {
        LegacyService service = LegacyService.byPath(call.path()).orElse(null);
        if (service == null) {
            return SoapReply.fault(true, "No legacy service at " + call.path() + ".");
        }
        SoapRequest request;
        try {
            request = SoapRequest.parse(call.body());
        } catch (SoapRequest.Malformed e) {
            return SoapReply.fault(true, e.getMessage());
        }
        if (!service.namespace.equals(request.namespace())) {
            return SoapReply.fault(true, "The method " + request.method() + " is not in the namespace "
                    + service.namespace + ".");
        }
        Calls calls = new Calls(cim, call.context());
        try {
            return call.bounded(() -> dispatch(service, request, calls, call), call.maxOperationMillis());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof CimException c) {
                LOG.info("VM {}: legacy {} by {} failed: {}", call.context().machineName(), request.method(),
                        call.context().user(), c.getMessage());
                return SoapReply.response(service.namespace, request.method(), PtStatus.of(c), Map.of());
            }
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            return new Reply(503, TEXT, "The operation did not finish.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Reply(503, TEXT, "Shutting down.");
        }
    }

    private static Reply dispatch(LegacyService service, SoapRequest request, Calls calls, Call call)
            throws CimException {
        return switch (service) {
            case SECURITY_ADMINISTRATION -> switch (request.method()) {
                case "GetCoreVersion" -> calls.coreVersion(service, request);
                default -> unknownMethod(service, request);
            };
            case NETWORK_ADMINISTRATION -> switch (request.method()) {
                case "GetHostName" -> calls.generalSetting(service, request, "HostName");
                case "GetDomainName" -> calls.generalSetting(service, request, "DomainName");
                // netinfo/netconf: known methods that vAMT does not offer (VM NICs are the hypervisor's)
                case "EnumerateInterfaces", "GetInterfaceSettings", "SetInterfaceSettings" ->
                        SoapReply.response(service.namespace, request.method(), PtStatus.UNSUPPORTED, Map.of());
                default -> unknownMethod(service, request);
            };
            case REMOTE_CONTROL -> switch (request.method()) {
                case "GetSystemPowerState" -> calls.systemPowerState(service, request);
                case "GetRemoteControlCapabilities" -> calls.capabilities(service, request);
                case "RemoteControl" -> calls.remoteControl(service, request, call);
                default -> unknownMethod(service, request);
            };
        };
    }

    private static Reply unknownMethod(LegacyService service, SoapRequest request) {
        return SoapReply.fault(true, service.path.substring(1) + " has no method " + request.method() + ".");
    }

    /** The calls of one request, in its context. */
    private static final class Calls {
        private final CimObjectManager cim;
        private final RequestContext ctx;

        Calls(CimObjectManager cim, RequestContext ctx) {
            this.cim = cim;
            this.ctx = ctx;
        }

        /** The same version CIM_SoftwareIdentity "AMT" reports, e.g. 16.1.30. */
        Reply coreVersion(LegacyService s, SoapRequest r) throws CimException {
            CimInstance amt = cim.getInstance(ctx, CimObjectPath.of("CIM_SoftwareIdentity", "InstanceID", "AMT"));
            return ok(s, r, Map.of("Version", text(amt.get("VersionString"))));
        }

        Reply generalSetting(LegacyService s, SoapRequest r, String property) throws CimException {
            CimInstance settings = cim.getInstance(ctx, CimObjectPath.of("AMT_GeneralSettings"));
            return ok(s, r, Map.of(property, text(settings.get(property))));
        }

        Reply systemPowerState(LegacyService s, SoapRequest r) throws CimException {
            List<CimInstance> power = cim.enumerateInstances(ctx, "CIM_AssociatedPowerManagementService");
            if (power.isEmpty() || power.get(0).get("PowerState") == null) {
                return SoapReply.response(s.namespace, r.method(), PtStatus.NOT_READY, Map.of());
            }
            long state = CimValues.toLong(power.get(0).get("PowerState"));
            return ok(s, r, Map.of("SystemPowerState", RemoteControlCommand.systemPowerState(state)));
        }

        /** From AMT_BootCapabilities; only the special commands RemoteControl here can carry out. */
        Reply capabilities(LegacyService s, SoapRequest r) throws CimException {
            CimInstance boot = cim.getInstance(ctx, CimObjectPath.of("AMT_BootCapabilities"));
            int oem = (flag(boot, "IDER") ? 0x01 : 0) | (flag(boot, "SOL") ? 0x02 : 0)
                    | (flag(boot, "BIOSReflash") ? 0x04 : 0) | (flag(boot, "BIOSSetup") ? 0x08 : 0)
                    | (flag(boot, "BIOSPause") ? 0x10 : 0);
            int special = (flag(boot, "ForcePXEBoot") ? RemoteControlCommand.PXE_BIT : 0)
                    | (flag(boot, "ForceHardDriveBoot") ? RemoteControlCommand.HARD_DRIVE_BIT : 0)
                    | (flag(boot, "ForceCDorDVDBoot") ? RemoteControlCommand.CD_DVD_BIT : 0);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("IanaOemNumber", IANA_INTEL);
            out.put("OemDefinedCapabilities", oem);
            out.put("SpecialCommandsSupported", special);
            out.put("SystemCapabilitiesSupported", ALL_POWER_ACTIONS);
            out.put("SystemFirmwareCapabilities", 0);
            return ok(s, r, out);
        }

        /**
         * Power control: an optional one-time boot device through CIM_BootConfigSetting.ChangeBootOrder,
         * then CIM_PowerManagementService.RequestPowerStateChange, as WS-Management consoles do.
         */
        Reply remoteControl(LegacyService s, SoapRequest r, Call call) throws CimException {
            Long command = number(r, "Command");
            Long oem = number(r, "IanaOemNumber");
            Long special = number(r, "SpecialCommand");
            if (command == null || oem == null || (special == null && r.arguments().containsKey("SpecialCommand"))) {
                return status(s, r, PtStatus.INVALID_PARAMETER);
            }
            RemoteControlCommand cmd = RemoteControlCommand.of(command).orElse(null);
            if (cmd == null) {
                return status(s, r, PtStatus.INVALID_COMMAND);
            }
            if (oem != IANA_INTEL && oem != IANA_ASF) {
                return status(s, r, PtStatus.UNSUPPORTED_OEM_NUMBER);
            }
            String bootSource = null;
            if (special != null && special != 0) {
                boolean known = (special >= 1 && special <= 5) || special == 0xC1;
                if (!known || cmd == RemoteControlCommand.POWER_DOWN) {
                    return status(s, r, PtStatus.INVALID_SPECIAL_COMMAND);
                }
                bootSource = RemoteControlCommand.bootSource(special).orElse(null);
                if (bootSource == null) {
                    return status(s, r, PtStatus.UNSUPPORTED_BOOT_OPTION);
                }
            }
            // AMT executes nothing whose critical audit record it cannot write (neither part of it)
            if (!call.auditAllows(AUDIT_REMOTE_CONTROL, cmd.auditEvent)
                    || (bootSource != null && !call.auditAllows(AUDIT_REMOTE_CONTROL, AUDIT_BOOT_OPTIONS))) {
                LOG.info("VM {}: legacy RemoteControl({}) by {} not executed: its critical audit record cannot be"
                        + " written", ctx.machineName(), cmd, ctx.user());
                return status(s, r, PtStatus.AUDIT_FAIL);
            }
            if (bootSource != null) {
                long rv = changeBootOrder(List.of(CimObjectPath.of("CIM_BootSourceSetting", "InstanceID",
                        bootSource)));
                if (rv != 0) {
                    LOG.info("VM {}: legacy RemoteControl by {}: boot source '{}' refused ({})", ctx.machineName(),
                            ctx.user(), bootSource, rv);
                    return status(s, r, PtStatus.UNSUPPORTED_BOOT_OPTION);
                }
                call.audit(AUDIT_REMOTE_CONTROL, AUDIT_BOOT_OPTIONS, new byte[0]);
            }
            long rv = cim.invokeMethod(ctx, CimObjectPath.of("CIM_PowerManagementService"), "RequestPowerStateChange",
                    Map.of("PowerState", (long) cmd.powerState)).returnValue();
            LOG.info("VM {} ({}): legacy RemoteControl({}{}) by {} from {} -> RequestPowerStateChange({}) = {}",
                    ctx.machineName(), ctx.machineId(), cmd, bootSource == null ? "" : ", " + bootSource, ctx.user(),
                    call.remoteAddress(), cmd.powerState, rv);
            if (rv == 0) {
                call.audit(AUDIT_REMOTE_CONTROL, cmd.auditEvent, new byte[0]);
                return status(s, r, PtStatus.SUCCESS);
            }
            if (bootSource != null) {
                changeBootOrder(List.of());   // the power action did not happen: drop its boot device too
            }
            return status(s, r, rv == 2 ? PtStatus.NOT_READY : PtStatus.INTERNAL_ERROR);
        }

        private long changeBootOrder(List<CimObjectPath> sources) throws CimException {
            return cim.invokeMethod(ctx, CimObjectPath.of("CIM_BootConfigSetting"), "ChangeBootOrder",
                    Map.of("Source", sources)).returnValue();
        }

        private static Reply ok(LegacyService s, SoapRequest r, Map<String, ?> outputs) {
            return SoapReply.response(s.namespace, r.method(), PtStatus.SUCCESS, outputs);
        }

        private static Reply status(LegacyService s, SoapRequest r, long ptStatus) {
            return SoapReply.response(s.namespace, r.method(), ptStatus, Map.of());
        }

        /** An unsigned 32-bit argument; null when absent or not a number in range. */
        private static Long number(SoapRequest r, String name) {
            String v = r.arguments().get(name);
            if (v == null) {
                return null;
            }
            try {
                long n = Long.decode(v);
                return n < 0 || n > 0xFFFF_FFFFL ? null : n;
            } catch (NumberFormatException e) {
                return null;
            }
        }

        private static boolean flag(CimInstance i, String property) {
            return Boolean.TRUE.equals(i.get(property));
        }

        private static String text(Object value) {
            return value == null ? "" : value.toString();
        }
    }
}
