package lb

import (
	"fmt"
	"testing"
)

// TestNATPingRepliesAbsorbed: the NAT pinger sends OPTIONS with the LB's
// public address as source and as its only Via, so the phones' answers
// come to the LB. They are counted as natping replies and dropped: not
// relayed, not counted as forged. A response with the same branch but a
// second Via, or a Via that is not the LB's, is still forged.
func TestNATPingRepliesAbsorbed(t *testing.T) {
	if natpingBranch != "z9hG4bK-sfping-" {
		t.Fatalf("natpingBranch is %q; the pinger sends z9hG4bK-sfping- (natping.BranchPrefix)", natpingBranch)
	}
	f := newFixture(t, nil)
	reply := func(vias string) string {
		return "SIP/2.0 200 OK\r\n" + vias +
			"From: <sip:natping@" + f.pubAddr.String() + ">;tag=np\r\nTo: <sip:alice@192.168.1.10>;tag=ua\r\n" +
			"Call-ID: natping-abc-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	}
	own := fmt.Sprintf("Via: SIP/2.0/UDP %v;branch=%sabc.1;rport=%d;received=%s\r\n",
		f.pubAddr, natpingBranch, f.pubAddr.Port(), f.pubAddr.Addr())
	tests := []struct {
		name    string
		msg     string
		counter string
		want    uint64
	}{
		{"answer to a keepalive", reply(own), "natping_replies_absorbed", 1},
		{"another", reply(own), "natping_replies_absorbed", 2},
		{"pinger's branch under a stranger's Via", reply(fmt.Sprintf("Via: SIP/2.0/UDP %v;branch=%sx\r\n", f.ua.addr(), natpingBranch)),
			"dropped_forged_responses", 1},
		{"pinger's branch with a Via below", reply(own + fmt.Sprintf("Via: SIP/2.0/UDP %v;branch=z9hG4bK-v\r\n", f.ua.addr())),
			"dropped_forged_responses", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.ua.send(f.pubAddr, tc.msg)
			f.waitStat(t, tc.counter, tc.want)
		})
	}
	st := f.lb.Stats()
	if st["natping_replies_absorbed"] != 2 || st["dropped_forged_responses"] != 2 || st["responses_relayed"] != 0 {
		t.Fatalf("counters %v: want 2 absorbed, 2 forged, none relayed", st)
	}
}
