package org.vamt.legacysoap.internal;

import java.util.Optional;

/**
 * RemoteControl's Command codes and what they are in WS-Management terms: the PowerState
 * CIM_PowerManagementService.RequestPowerStateChange is asked for, and the AMT audit event
 * (remote control application) a success records.
 */
enum RemoteControlCommand {
    RESET(16, 10, 3),
    POWER_UP(17, 2, 0),
    POWER_DOWN(18, 8, 1),
    POWER_CYCLE(19, 5, 2);

    final int code;
    final int powerState;
    final int auditEvent;

    RemoteControlCommand(int code, int powerState, int auditEvent) {
        this.code = code;
        this.powerState = powerState;
        this.auditEvent = auditEvent;
    }

    static Optional<RemoteControlCommand> of(long code) {
        for (RemoteControlCommand c : values()) {
            if (c.code == code) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /**
     * SpecialCommand → the CIM_BootSourceSetting the boot provider offers for it, or empty when
     * vAMT cannot boot that way (hd safe mode, diagnostics, Intel OEM/BIOS setup). 0 = no change.
     */
    static Optional<String> bootSource(long specialCommand) {
        return Optional.ofNullable(switch ((int) specialCommand) {
            case 1 -> "Intel(r) AMT: Force PXE Boot";
            case 2 -> "Intel(r) AMT: Force Hard-drive Boot";
            case 5 -> "Intel(r) AMT: Force CD/DVD Boot";
            default -> null;
        });
    }

    /** SpecialCommandsSupported bit of a special command, as GetRemoteControlCapabilities reports it. */
    static final int PXE_BIT = 0x100;
    static final int HARD_DRIVE_BIT = 0x200;
    static final int CD_DVD_BIT = 0x1000;

    /**
     * SystemPowerState (low nibble: 0 S0 … 5 S5 soft-off, 7 off) of an AMT PowerState
     * (CIM_AssociatedPowerManagementService).
     */
    static int systemPowerState(long cimPowerState) {
        return switch ((int) cimPowerState) {
            case 2 -> 0;        // on
            case 3 -> 1;        // sleep - light
            case 4 -> 3;        // sleep - deep (suspend to RAM)
            case 7 -> 4;        // hibernate
            case 6, 8, 12, 13 -> 5;   // off, soft or hard
            default -> 7;
        };
    }
}
