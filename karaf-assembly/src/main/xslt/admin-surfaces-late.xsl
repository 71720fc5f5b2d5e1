<?xml version="1.0" encoding="UTF-8"?>
<!-- Generates etc/org.apache.karaf.features.xml from Karaf's standard features: the `ssh` and
     `management` features as Karaf defines them, but with their own bundles at start level 85, after
     the WS-Management path (75, features/src/main/feature/feature.xml). The SSH shell and JMX are
     operator surfaces; starting them first delayed a restart's first WS-Management answer by seconds
     of CPU (issue 21). A feature replacement is the Karaf way that lasts: the features service applies
     it on every start, feature:install and refresh, where a start level edited in data/cache or
     etc/startup.properties is reset to Karaf's 30. Shared libraries (Bouncy Castle, aries.util) and
     dependency bundles keep their level: vAMT needs them before 75. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:f="http://karaf.apache.org/xmlns/features/v1.3.0"
                xmlns="http://karaf.apache.org/xmlns/features-processing/v1.0.0"
                exclude-result-prefixes="f">
  <xsl:output method="xml" indent="yes"/>
  <xsl:param name="lateStartLevel" select="'85'"/>

  <xsl:template match="/f:features">
    <featuresProcessing>
      <featureReplacements>
        <xsl:apply-templates select="f:feature[@name = 'ssh' or @name = 'management']"/>
      </featureReplacements>
    </featuresProcessing>
    <xsl:if test="count(f:feature[@name = 'ssh' or @name = 'management']) != 2">
      <xsl:message terminate="yes">Karaf's standard features have no ssh or no management feature</xsl:message>
    </xsl:if>
  </xsl:template>

  <xsl:template match="f:feature[parent::f:features]">
    <replacement mode="replace">
      <feature>
        <xsl:copy-of select="@*"/>
        <xsl:apply-templates select="node()"/>
      </feature>
    </replacement>
  </xsl:template>

  <!-- The feature's own bundles: Karaf's sshd/shell.ssh, management.server and aries.jmx -->
  <xsl:template match="f:bundle[not(@dependency = 'true')
                                and (starts-with(normalize-space(.), 'mvn:org.apache.sshd/')
                                  or starts-with(normalize-space(.), 'mvn:org.apache.karaf.')
                                  or starts-with(normalize-space(.), 'mvn:org.apache.aries.jmx/'))]/@start-level">
    <xsl:attribute name="start-level"><xsl:value-of select="$lateStartLevel"/></xsl:attribute>
  </xsl:template>

  <!-- management's conditional (JMX for Blueprint, when aries-blueprint is installed) inlined: Karaf
       4.4.10 cannot take a conditional in a replacement ("No owner set for conditional"), and
       aries-blueprint is always in this distribution's etc/startup.properties. -->
  <xsl:template match="f:conditional">
    <xsl:apply-templates select="f:bundle"/>
  </xsl:template>

  <!-- Feature content in the namespace Karaf 4.4 reads in a replacement (features v1.6.0) -->
  <xsl:template match="f:*">
    <xsl:element name="{local-name()}" namespace="http://karaf.apache.org/xmlns/features/v1.6.0">
      <xsl:apply-templates select="@*|node()"/>
    </xsl:element>
  </xsl:template>

  <xsl:template match="@*|text()">
    <xsl:copy/>
  </xsl:template>
</xsl:stylesheet>
