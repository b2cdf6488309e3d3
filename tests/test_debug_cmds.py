"""The "debug vpn-sip sip ..." commands of Cisco's VPN-SIP guide: those
with something behind them in vpnsipd turn on, show in "show debugging"
and turn off; the others are refused with the reason, turn nothing on,
and none is accepted in silence (the lines themselves: test_sip_log.c,
test_dhcp.py)."""
import pytest

pytestmark = pytest.mark.netns

IMPLEMENTED = {
    "vpn-sip sip dhcp": "VPN-SIP SIP-DHCP",
    "vpn-sip sip info": "VPN-SIP SIP info",
    "vpn-sip sip non-call": "VPN-SIP SIP non-call",
    "vpn-sip sip verbose": "VPN-SIP SIP verbose",
}

REFUSED = {
    "vpn-sip sip feature": "vpnsipd has no separate SIP feature layer to trace; VPN-SIP's own "
                           "events are 'debug vpn-sip event'",
    "vpn-sip sip function": "vpnsipd keeps no function trace of its own; sofia-sip's function "
                            "entries are part of 'debug vpn-sip sip verbose'",
    "vpn-sip sip level": "IOS's information-level switch has no counterpart",
    "vpn-sip sip media": "vpnsipd carries no media (RTP); nothing to debug",
    "vpn-sip sip preauth": "vpnsipd has no SIP pre-authentication (AAA preauth of calls); "
                           "nothing to debug",
    "vpn-sip sip translate": "vpnsipd has no number translation rules; numbers are used as "
                             "configured",
}


def test_vpnsip_sip_debug_commands(build, daemon_factory):
    d = daemon_factory(build, "").start()
    for path, title in IMPLEMENTED.items():
        out = d.sh("debug " + path).stdout
        assert "%s debugging is on" % title in out, out
    show = d.sh("show debugging").stdout
    for title in IMPLEMENTED.values():
        assert "  %s debugging is on" % title in show, show

    for path, why in REFUSED.items():
        for form in ("debug ", "no debug ", "undebug "):
            r = d.sh(form + path, check=False)
            out = r.stdout + r.stderr
            assert "%% debug %s: %s" % (path, why) in out, (form + path, out)
    # refused: nothing more is on
    assert d.sh("show debugging").stdout.count("debugging is on") == len(IMPLEMENTED)

    for path, title in IMPLEMENTED.items():
        form = "undebug " if path.endswith(("dhcp", "verbose")) else "no debug "
        out = d.sh(form + path).stdout
        assert "%s debugging is off" % title in out, out
    assert "No debugging is on" in d.sh("show debugging").stdout
    d.assert_clean()
