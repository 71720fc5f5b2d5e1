package org.vamt.legacysoap.internal;

import org.vamt.cim.CimException;
import org.vamt.cim.CimStatus;

/** The PT_STATUS codes of AMT's legacy interface that vAMT answers with (AMT SDK numbering). */
final class PtStatus {
    static final long SUCCESS = 0x0;
    static final long INTERNAL_ERROR = 0x1;
    static final long NOT_READY = 0x2;
    static final long INVALID_PARAMETER = 0x24;
    static final long NOT_PERMITTED = 0x10;
    static final long UNSUPPORTED_OEM_NUMBER = 0x801;
    static final long UNSUPPORTED_BOOT_OPTION = 0x802;
    static final long INVALID_COMMAND = 0x803;
    static final long INVALID_SPECIAL_COMMAND = 0x804;
    static final long UNSUPPORTED = 0x812;
    /** The operation's event is critical in the audit policy and its record cannot be written. */
    static final long AUDIT_FAIL = 0x81B;

    private PtStatus() {
    }

    /** A CIM failure as PT_STATUS: a missing realm is "not permitted", everything else an internal error. */
    static long of(CimException e) {
        if (e.status() == CimStatus.ACCESS_DENIED) {
            return NOT_PERMITTED;
        }
        if (e.status() == CimStatus.INVALID_PARAMETER) {
            return INVALID_PARAMETER;
        }
        return e.status() == CimStatus.UNAVAILABLE ? NOT_READY : INTERNAL_ERROR;
    }
}
