package org.vamt.libvirt.internal;

import org.libvirt.Error.ErrorNumber;
import org.vamt.hypervisor.HypervisorException.Reason;

/** libvirt error codes to {@link Reason}s. */
final class ErrorMapping {

    private ErrorMapping() {
    }

    /** Errors that mean the connection itself is gone or unusable. */
    static boolean isConnectionError(ErrorNumber code) {
        if (code == null) {
            return false;
        }
        switch (code) {
            case VIR_ERR_NO_CONNECT:
            case VIR_ERR_INVALID_CONN:
            case VIR_ERR_RPC:
            case VIR_ERR_AUTH_FAILED:
            case VIR_ERR_AUTH_CANCELLED:
            case VIR_ERR_AUTH_UNAVAILABLE:
                return true;
            default:
                return false;
        }
    }

    static Reason reason(ErrorNumber code) {
        if (code == null) {
            return Reason.FAILED;
        }
        if (isConnectionError(code)) {
            return Reason.UNAVAILABLE;
        }
        switch (code) {
            case VIR_ERR_NO_DOMAIN:
                return Reason.NOT_FOUND;
            case VIR_ERR_OPERATION_INVALID:
                return Reason.INVALID_STATE;
            case VIR_ERR_NO_SUPPORT:
            case VIR_ERR_OPERATION_UNSUPPORTED:
            case VIR_ERR_ARGUMENT_UNSUPPORTED:
            case VIR_ERR_CONFIG_UNSUPPORTED:
                return Reason.UNSUPPORTED;
            case VIR_ERR_INVALID_ARG:
                return Reason.INVALID_ARGUMENT;
            default:
                return Reason.FAILED;
        }
    }
}
