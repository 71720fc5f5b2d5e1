package org.vamt.provider.remoteaccess.internal;

import java.util.List;
import org.vamt.hypervisor.state.StateType;

/**
 * A VM's CIRA set-up as consoles wrote it through WS-Management, kept with the VM (typed per-VM
 * state, namespace {@code cira}) so that it survives vAMT restarts and is the same on every
 * gateway; every change is a compare-and-set. MPS passwords are kept sealed (never in clear).
 *
 * @param servers       the MPSes (AMT_ManagementPresenceRemoteSAP + AMT_MPSUsernamePassword)
 * @param policies      the remote access policies (AMT_RemoteAccessPolicyRule), one per trigger
 * @param userInitiated AMT_UserInitiatedConnectionService's state (32768-32771); 0: never set (32768)
 * @param environment   AMT_EnvironmentDetectionSettingData as written; null: never written
 */
public record RemoteAccessState(List<Server> servers, List<Policy> policies, long userInitiated,
                                Environment environment) {
    public static final RemoteAccessState EMPTY = new RemoteAccessState(List.of(), List.of(), 0, null);
    public static final StateType<RemoteAccessState> STATE = StateType.of("cira", RemoteAccessState.class, EMPTY);

    public RemoteAccessState {
        servers = servers == null ? List.of() : List.copyOf(servers);
        policies = policies == null ? List.of() : List.copyOf(policies);
    }

    /**
     * One MPS (AddMpServer).
     *
     * @param handle         its number: SAP "Intel(r) AMT:Management Presence Server n", credential
     *                       "Intel(r) AMT:MPS Username Password n"
     * @param accessInfo     address or host name dialled
     * @param infoFormat     3 IPv4, 4 IPv6, 201 FQDN
     * @param cn             the name given for the MPS's certificate (null: none)
     * @param user           the CIRA user name
     * @param sealedPassword the CIRA password, sealed for this VM
     */
    public record Server(int handle, String accessInfo, int infoFormat, int port, int authMethod, String cn,
                         String user, String sealedPassword) {
        Server withCredentials(String newUser, String newSealedPassword) {
            return new Server(handle, accessInfo, infoFormat, port, authMethod, cn, newUser, newSealedPassword);
        }
    }

    /**
     * One policy (AddRemoteAccessPolicyRule): its trigger names it.
     *
     * @param trigger        0 user initiated, 1 alert, 2 periodic
     * @param tunnelLifeTime seconds, 0 = until closed
     * @param extendedData   Base64 as given (periodic: u32 0 + u32 seconds, or u32 1 + u32 hour + u32 minute)
     * @param servers        the MPSes it dials, AMT_RemoteAccessPolicyAppliesToMPS
     */
    public record Policy(int trigger, long tunnelLifeTime, String extendedData, List<Link> servers) {
        public Policy {
            servers = servers == null ? List.of() : List.copyOf(servers);
        }
    }

    /**
     * A policy's MPS.
     *
     * @param server        the MPS's handle
     * @param orderOfAccess 0 primary, 1 backup
     * @param mpsType       0 external, 1 internal, 2 both
     */
    public record Link(int server, int orderOfAccess, int mpsType) {
    }

    /** AMT_EnvironmentDetectionSettingData's writable properties. */
    public record Environment(long detectionAlgorithm, List<String> detectionStrings, List<String> ipv6Prefixes) {
        public Environment {
            detectionStrings = detectionStrings == null ? List.of() : List.copyOf(detectionStrings);
            ipv6Prefixes = ipv6Prefixes == null ? List.of() : List.copyOf(ipv6Prefixes);
        }
    }
}
