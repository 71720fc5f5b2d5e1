# vAMT appliance: /opt/vamt/bin/client (and vamt-client) find the instance under /var/lib/vamt.
export KARAF_HOME=/opt/vamt KARAF_BASE=/var/lib/vamt KARAF_ETC=/var/lib/vamt/etc KARAF_DATA=/var/lib/vamt/data
