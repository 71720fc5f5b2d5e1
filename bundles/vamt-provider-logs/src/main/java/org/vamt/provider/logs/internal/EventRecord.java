package org.vamt.provider.logs.internal;

import java.util.Arrays;

/**
 * One 21-byte AMT event log record (compat section 4.9), laid out as the PET/ASF event fields:
 * <pre>
 *  0-3  timestamp, seconds since 1970-01-01 UTC, uint32 little-endian
 *  4    DeviceAddress      5  EventSensorType   6  EventType        7  EventOffset
 *  8    EventSourceType    9  EventSeverity    10  SensorNumber    11  Entity
 * 12    EntityInstance  13-20 EventData (8 bytes)
 * </pre>
 * vAMT's choices for VM lifecycle events (IPMI 2.0 sensor-specific codes):
 * <ul>
 * <li>power transitions: sensor type 0x22 (ACPI power state), event type 0x6F (sensor-specific),
 *     offset 0x00 S0/G0 working (started, resumed), 0x03 S3 sleeping (guest suspend to RAM),
 *     0x05 S5/G2 soft-off (stopped, shut down), 0x08 sleeping in S1-S3 (paused);
 *     entity 0x17 (system chassis), severity 0x02 (information);</li>
 * <li>crash: sensor type 0x20 (OS critical stop), offset 0x01 (run-time critical stop),
 *     entity 0x23 (operating system), severity 0x10 (critical).</li>
 * </ul>
 * Common to all: DeviceAddress 0x20 (the management controller), EventSourceType 0x68 (ASF),
 * SensorNumber 0xFF (unspecified), EntityInstance 0, EventData = offset, 0xFF, 0xFF, then zeros
 * (IPMI event data 1-3: offset, data 2 and 3 unspecified).
 */
record EventRecord(long timestamp, int deviceAddress, int sensorType, int eventType, int offset, int sourceType,
                   int severity, int sensorNumber, int entity, int entityInstance, byte[] eventData) {
    static final int SIZE = 21;

    static final int DEVICE_ADDRESS = 0x20;
    static final int EVENT_TYPE_SENSOR_SPECIFIC = 0x6F;
    static final int SOURCE_ASF = 0x68;
    static final int SENSOR_UNSPECIFIED = 0xFF;

    static final int SENSOR_ACPI_POWER_STATE = 0x22;
    static final int ACPI_S0_WORKING = 0x00;
    static final int ACPI_S3_SLEEPING = 0x03;
    static final int ACPI_S5_SOFT_OFF = 0x05;
    static final int ACPI_SLEEPING_S1_S3 = 0x08;
    static final int SENSOR_OS_CRITICAL_STOP = 0x20;
    static final int OS_RUNTIME_CRITICAL_STOP = 0x01;

    static final int ENTITY_CHASSIS = 0x17;
    static final int ENTITY_OS = 0x23;
    static final int SEVERITY_INFORMATION = 0x02;
    static final int SEVERITY_CRITICAL = 0x10;

    EventRecord {
        if (eventData.length != 8) {
            throw new IllegalArgumentException("EventData must be 8 bytes");
        }
        eventData = eventData.clone();
    }

    /** A sensor-specific event of vAMT's management controller (see the class comment). */
    static EventRecord of(long timestamp, int sensorType, int offset, int entity, int severity) {
        byte[] data = new byte[8];
        data[0] = (byte) offset;
        data[1] = (byte) 0xFF;
        data[2] = (byte) 0xFF;
        return new EventRecord(timestamp, DEVICE_ADDRESS, sensorType, EVENT_TYPE_SENSOR_SPECIFIC, offset, SOURCE_ASF,
                severity, SENSOR_UNSPECIFIED, entity, 0, data);
    }

    static EventRecord power(long timestamp, int acpiOffset) {
        return of(timestamp, SENSOR_ACPI_POWER_STATE, acpiOffset, ENTITY_CHASSIS, SEVERITY_INFORMATION);
    }

    static EventRecord crash(long timestamp) {
        return of(timestamp, SENSOR_OS_CRITICAL_STOP, OS_RUNTIME_CRITICAL_STOP, ENTITY_OS, SEVERITY_CRITICAL);
    }

    boolean isPowerOff() {
        return sensorType == SENSOR_ACPI_POWER_STATE && offset == ACPI_S5_SOFT_OFF;
    }

    @Override
    public byte[] eventData() {
        return eventData.clone();
    }

    byte[] toBytes() {
        byte[] b = new byte[SIZE];
        b[0] = (byte) timestamp;
        b[1] = (byte) (timestamp >>> 8);
        b[2] = (byte) (timestamp >>> 16);
        b[3] = (byte) (timestamp >>> 24);
        b[4] = (byte) deviceAddress;
        b[5] = (byte) sensorType;
        b[6] = (byte) eventType;
        b[7] = (byte) offset;
        b[8] = (byte) sourceType;
        b[9] = (byte) severity;
        b[10] = (byte) sensorNumber;
        b[11] = (byte) entity;
        b[12] = (byte) entityInstance;
        System.arraycopy(eventData, 0, b, 13, 8);
        return b;
    }

    static EventRecord fromBytes(byte[] b, int from) {
        if (b.length - from < SIZE) {
            throw new IllegalArgumentException("an event record is " + SIZE + " bytes");
        }
        long ts = (b[from] & 0xFFL) | (b[from + 1] & 0xFFL) << 8 | (b[from + 2] & 0xFFL) << 16
                | (b[from + 3] & 0xFFL) << 24;
        return new EventRecord(ts, b[from + 4] & 0xFF, b[from + 5] & 0xFF, b[from + 6] & 0xFF, b[from + 7] & 0xFF,
                b[from + 8] & 0xFF, b[from + 9] & 0xFF, b[from + 10] & 0xFF, b[from + 11] & 0xFF,
                b[from + 12] & 0xFF, Arrays.copyOfRange(b, from + 13, from + SIZE));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EventRecord r && Arrays.equals(toBytes(), r.toBytes());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(toBytes());
    }

    @Override
    public String toString() {
        return String.format("EventRecord[t=%d sensor=0x%02X offset=0x%02X entity=0x%02X severity=0x%02X]", timestamp,
                sensorType, offset, entity, severity);
    }
}
