package org.vamt.hypervisor;

import java.io.Serializable;

/**
 * A removable medium served over NBD (read-only), put in a machine's CD-ROM drive: how vAMT shows
 * the VM an image a console streams through IDE-R.
 *
 * @param host   address of the NBD server, as the hypervisor reaches it (loopback)
 * @param port   its TCP port
 * @param export the export name; it is also what keeps other local clients out, so it is random
 */
public record NetworkMedia(String host, int port, String export) implements Serializable {
}
