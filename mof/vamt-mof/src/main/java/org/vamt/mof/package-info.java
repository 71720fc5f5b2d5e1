/**
 * A MOF (DMTF DSP0221) compiler: {@link org.vamt.mof.MofCompiler} turns MOF text into the
 * {@code org.vamt.cim.schema} model, {@link org.vamt.mof.MofPrinter} writes that model back as MOF.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.vamt.mof;
