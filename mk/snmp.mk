# SNMP: vpnsipd's AgentX subagent (src/snmp, docs/snmp.md) uses net-snmp's
# agent library; the tests run a real snmpd master agent, snmpwalk/snmpget
# and snmptrapd.  <net-snmp/...> headers: no -I needed.
DEB_BUILD_PACKAGES   += libsnmp-dev
DEB_RUNTIME_PACKAGES += libsnmp40
DEB_TEST_PACKAGES    += snmpd snmp snmptrapd

SNMP_LIBS    = $(filter-out -lnetsnmpmibs,$(shell pkg-config --libs netsnmp-agent 2>/dev/null))
FEATURE_LIBS += $(SNMP_LIBS)
PKG_CHECK    += netsnmp-agent
