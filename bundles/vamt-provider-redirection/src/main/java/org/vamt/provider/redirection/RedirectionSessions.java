package org.vamt.provider.redirection;

/**
 * The redirection sessions open right now, offered by the redirection listener (bundle
 * vamt-redirection) so that AMT_RedirectionService.TerminateSession can end one and
 * CIM_KVMRedirectionSAP can report a KVM session in progress.
 */
public interface RedirectionSessions {

    enum Kind { SOL, KVM, IDER }

    /** Whether the VM with this UUID has an authenticated session of that kind. */
    boolean isOpen(String machineId, Kind kind);

    /** Closes the VM's session of that kind; false when none was open. */
    boolean terminate(String machineId, Kind kind);
}
