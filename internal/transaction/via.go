package transaction

import (
	"github.com/sipfleet/sipfleet/internal/sip"
)

// magicCookie starts an RFC 3261 branch (§8.1.1.7).
const magicCookie = "z9hG4bK"

// via is what transaction matching reads from the top Via, extracted once
// per message (Via.Branch scans the parameters on each call).
type via struct {
	raw     []byte // the whole via-parm, for RFC 2543 matching
	sentBy  []byte // host[:port] as written
	branch  []byte
	rfc3261 bool // the branch has the magic cookie: match on it (§17.2.3)
}

func (v *via) isRFC3261() bool { return v.rfc3261 }

// topVia reads the first via-parm of m; ok is false without a parsable one.
func topVia(m *sip.Msg) (via, bool) {
	v, err := m.TopVia()
	if err != nil {
		return via{}, false
	}
	return via{raw: v.Raw, sentBy: v.SentBy, branch: v.Branch(), rfc3261: v.IsRFC3261Branch()}, true
}
