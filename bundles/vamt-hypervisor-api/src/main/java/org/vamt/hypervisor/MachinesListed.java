package org.vamt.hypervisor;

/**
 * An OSGi service registered once the endpoint map (vamt-endpoints), which every VM endpoint waits
 * for, has listed the machines at start. Whole-machine scans that can wait a few seconds (the alarm
 * clock's, CIRA's) start when it arrives, so that with thousands of VMs they do not compete with
 * that listing for the hypervisor connection and the CPU. Where nothing registers it (a node
 * without endpoints), they start after {@link #WAIT_AT_MOST_SECONDS}.
 */
public interface MachinesListed {

    /** How long a scan that waits for this service waits at most. */
    long WAIT_AT_MOST_SECONDS = 15;
}
