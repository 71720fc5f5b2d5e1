package org.vamt.provider.power;

import org.vamt.hypervisor.state.StateType;

/**
 * The last time CIM_PowerManagementService.RequestPowerStateChange (re)booted the VM: powered it
 * on, power-cycled or reset it. Typed per-VM state, namespace {@code power-on}; written by
 * vamt-provider-power just before it asks the hypervisor, read by vamt-provider-alarm for
 * IPS_HostBootReason.
 *
 * @param atMillis        when (host clock, epoch milliseconds); 0: never
 * @param previousSxState the power state the VM left, as IPS_HostBootReason.PreviousSxState
 *                        counts them: 2 S0 (a reset of a running VM), 5 S3 (woken from
 *                        suspend), 7 S5 (off, or a power cycle)
 */
public record RemotePowerOn(long atMillis, int previousSxState) {
    public static final int S0 = 2;
    public static final int S3 = 5;
    public static final int S5 = 7;
    public static final RemotePowerOn NEVER = new RemotePowerOn(0, 0);

    public static final StateType<RemotePowerOn> STATE = StateType.of("power-on", RemotePowerOn.class, NEVER);
}
