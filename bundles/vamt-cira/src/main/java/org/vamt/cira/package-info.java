/**
 * CIRA: each VM's AMT connected out to a Management Presence Server. {@link org.vamt.cira.Cira} is
 * the state the shell shows; {@link org.vamt.cira.CiraProfile} is the one configuration model the
 * operator's configuration (PID {@code org.vamt.cira}) and, later, a console's WS-Management CIRA
 * set-up ({@link org.vamt.cira.CiraProfileSource}) feed.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.vamt.cira;
