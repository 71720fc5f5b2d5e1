/**
 * What the local operator's front ends share (the Karaf shell, the operator dashboard): power
 * requests through the CIMOM with their audit record, reading a VM's audit log, and the list of
 * installed CIM providers. One home, so the shell and the dashboard cannot drift apart.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.vamt.operator;
