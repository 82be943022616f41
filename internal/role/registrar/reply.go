package registrar

import (
	"strconv"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/store"
)

// appendOK writes the 200 OK to a REGISTER (§10.3 step 8): every current
// binding as a Contact with its remaining expiry, a Date, and the Path
// when path_mode asks to echo it (RFC 3327 §5.3).
func appendOK(dst []byte, m *sip.Msg, r *register, o *outcome, rules *Rules, toTag []byte) []byte {
	dst = sip.AppendResponseHead(dst, m, 200, "OK", toTag)
	for i := range o.current {
		dst = appendContact(dst, &o.current[i], r.now)
	}
	if r.path != "" && rules.UsePath && rules.PathMode != PathStoreOnly && (r.supPath || rules.PathMode == PathRequire) {
		m.Values(sip.HdrPath, func(v []byte) bool {
			dst = sip.AppendHeader(dst, "Path", v)
			return true
		})
	}
	if r.outbound && r.firstOB && usesFlows(r) {
		// RFC 5626 §6: the registrar says it keeps the flow.
		dst = sip.AppendHeader(dst, "Require", []byte("outbound"))
	}
	dst = append(dst, "Date: "...)
	dst = r.now.UTC().AppendFormat(dst, "Mon, 02 Jan 2006 15:04:05 GMT") // RFC 3261 §20.17: always GMT
	dst = append(dst, "\r\n"...)
	return sip.AppendBody(dst, nil)
}

func usesFlows(r *register) bool {
	for i := range r.contacts {
		if r.contacts[i].regID > 0 {
			return true
		}
	}
	return false
}

func appendContact(dst []byte, b *store.Binding, now time.Time) []byte {
	dst = append(dst, "Contact: <"...)
	dst = append(dst, b.Contact...)
	dst = append(dst, ">;expires="...)
	dst = strconv.AppendInt(dst, int64(remaining(b, now)), 10)
	if b.Q >= 0 {
		dst = append(dst, ";q="...)
		dst = strconv.AppendFloat(dst, b.Q, 'f', -1, 64)
	}
	if b.Instance != "" {
		dst = append(dst, `;+sip.instance="`...)
		dst = append(dst, b.Instance...)
		dst = append(dst, '"')
	}
	if b.RegID > 0 {
		dst = append(dst, ";reg-id="...)
		dst = strconv.AppendInt(dst, int64(b.RegID), 10)
	}
	return append(dst, "\r\n"...)
}

// appendFailure writes the answer to a refused REGISTER with the headers
// its status needs.
func appendFailure(dst []byte, m *sip.Msg, f *failure, toTag []byte) []byte {
	dst = sip.AppendResponseHead(dst, m, f.status, f.reason, toTag)
	switch {
	case f.minExpires > 0:
		dst = sip.AppendHeader(dst, "Min-Expires", strconv.AppendInt(nil, int64(f.minExpires/time.Second), 10))
	case f.unsupported != "":
		dst = sip.AppendHeader(dst, "Unsupported", []byte(f.unsupported))
	case f.status == 503:
		dst = sip.AppendHeader(dst, "Retry-After", []byte("5"))
	}
	return sip.AppendBody(dst, nil)
}
