package org.vamt.provider.inventory.internal;

import java.util.Locale;

/**
 * AMT's PlatformGUID is the SMBIOS UUID in SMBIOS byte order: the first three fields of the
 * canonical UUID byte-reversed, then the rest as written (MeshCentral reverses it back to get the
 * machine's product_uuid). The libvirt domain UUID is the guest's SMBIOS system UUID.
 */
final class PlatformGuid {
    private PlatformGuid() {
    }

    static String of(String uuid) {
        String hex = uuid.replace("-", "").toUpperCase(Locale.ROOT);
        if (!hex.matches("[0-9A-F]{32}")) {
            throw new IllegalArgumentException("not a UUID: " + uuid);
        }
        return reverseBytes(hex.substring(0, 8)) + reverseBytes(hex.substring(8, 12)) + reverseBytes(hex.substring(12, 16))
                + hex.substring(16);
    }

    private static String reverseBytes(String hex) {
        StringBuilder s = new StringBuilder(hex.length());
        for (int i = hex.length() - 2; i >= 0; i -= 2) {
            s.append(hex, i, i + 2);
        }
        return s.toString();
    }
}
