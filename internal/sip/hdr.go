package sip

import "encoding/binary"

// HdrID names the headers the message layer knows. Anything else is
// HdrOther and is carried byte for byte (RFC 4475 §3.1.1.1).
type HdrID uint8

// Known headers. The order is fixed: it indexes hdrNames.
const (
	HdrOther HdrID = iota
	HdrVia
	HdrFrom
	HdrTo
	HdrCallID
	HdrCSeq
	HdrMaxForwards
	HdrContact
	HdrRoute
	HdrRecordRoute
	HdrPath
	HdrContentLength
	HdrContentType
	HdrContentEncoding
	HdrExpires
	HdrMinExpires
	HdrSupported
	HdrRequire
	HdrProxyRequire
	HdrUnsupported
	HdrAuthorization
	HdrProxyAuthorization
	HdrWWWAuthenticate
	HdrProxyAuthenticate
	HdrUserAgent
	HdrServer
	HdrAllow
	HdrDate
	HdrSubject
	HdrEvent
	HdrReferTo
	HdrReferredBy
	HdrRetryAfter
	HdrAccept
	HdrTimestamp
	HdrWarning
	HdrReason
	HdrSessionExpires
	HdrAllowEvents
	hdrCount
)

// hdrNames holds the canonical spelling used when the layer writes a header.
var hdrNames = [hdrCount]string{
	HdrVia:                "Via",
	HdrFrom:               "From",
	HdrTo:                 "To",
	HdrCallID:             "Call-ID",
	HdrCSeq:               "CSeq",
	HdrMaxForwards:        "Max-Forwards",
	HdrContact:            "Contact",
	HdrRoute:              "Route",
	HdrRecordRoute:        "Record-Route",
	HdrPath:               "Path",
	HdrContentLength:      "Content-Length",
	HdrContentType:        "Content-Type",
	HdrContentEncoding:    "Content-Encoding",
	HdrExpires:            "Expires",
	HdrMinExpires:         "Min-Expires",
	HdrSupported:          "Supported",
	HdrRequire:            "Require",
	HdrProxyRequire:       "Proxy-Require",
	HdrUnsupported:        "Unsupported",
	HdrAuthorization:      "Authorization",
	HdrProxyAuthorization: "Proxy-Authorization",
	HdrWWWAuthenticate:    "WWW-Authenticate",
	HdrProxyAuthenticate:  "Proxy-Authenticate",
	HdrUserAgent:          "User-Agent",
	HdrServer:             "Server",
	HdrAllow:              "Allow",
	HdrDate:               "Date",
	HdrSubject:            "Subject",
	HdrEvent:              "Event",
	HdrReferTo:            "Refer-To",
	HdrReferredBy:         "Referred-By",
	HdrRetryAfter:         "Retry-After",
	HdrAccept:             "Accept",
	HdrTimestamp:          "Timestamp",
	HdrWarning:            "Warning",
	HdrReason:             "Reason",
	HdrSessionExpires:     "Session-Expires",
	HdrAllowEvents:        "Allow-Events",
}

// String returns the canonical header name ("" for HdrOther).
func (id HdrID) String() string {
	if id >= hdrCount {
		return ""
	}
	return hdrNames[id]
}

// compactForms maps the one-letter forms of RFC 3261 §7.3.3 (and the
// extensions that define one) to the header they abbreviate.
var compactForms = [256]HdrID{
	'v': HdrVia, 'f': HdrFrom, 't': HdrTo, 'i': HdrCallID, 'm': HdrContact,
	'l': HdrContentLength, 'c': HdrContentType, 'e': HdrContentEncoding,
	'k': HdrSupported, 's': HdrSubject, 'o': HdrEvent, 'r': HdrReferTo,
	'b': HdrReferredBy, 'x': HdrSessionExpires, 'u': HdrAllowEvents,
}

// singleValue marks headers that RFC 3261 §7.3 allows only once; a second
// one is a 400 (RFC 4475 §3.3.8).
var singleValue = [hdrCount]bool{
	HdrFrom: true, HdrTo: true, HdrCallID: true, HdrCSeq: true,
	HdrMaxForwards: true, HdrContentLength: true, HdrContentType: true,
	HdrExpires: true, HdrMinExpires: true,
}

// Header names are classified by a key made of the length and the
// case-folded first and last bytes, then one word-wise comparison confirms
// the match. Profiling the index showed name lookup dominating it when
// candidates were compared byte by byte.

const (
	hdrTableBits = 8
	hdrTableSize = 1 << hdrTableBits // several times the known names
)

type hdrSlot struct {
	key uint32
	id  HdrID
}

// hdrKey folds ASCII case with c|0x20: among token characters that maps
// no two distinct characters together.
func hdrKey(name []byte) uint32 {
	n := len(name)
	return uint32(n)<<16 | uint32(name[0]|0x20)<<8 | uint32(name[n-1]|0x20)
}

// slot is Fibonacci hashing (the top bits of the product are the
// well-mixed ones), with a multiplier searched so that every known name
// lands in its own slot (TestHdrTableProbes).
func (k hdrSlotKey) slot() uint32 { return uint32(k) * 2654436019 >> (32 - hdrTableBits) }

type hdrSlotKey uint32

// hdrFolded holds each known name with every byte |0x20, for foldEqual.
var hdrFolded = func() (t [hdrCount][]byte) {
	for id := HdrID(1); id < hdrCount; id++ {
		for i := 0; i < len(hdrNames[id]); i++ {
			t[id] = append(t[id], hdrNames[id][i]|0x20)
		}
	}
	return t
}()

// hdrTable is an open-addressing table of the long header names.
var hdrTable = func() (t [hdrTableSize]hdrSlot) {
	for id := HdrID(1); id < hdrCount; id++ {
		k := hdrKey([]byte(hdrNames[id]))
		j := hdrSlotKey(k).slot()
		for t[j].id != 0 {
			j = (j + 1) & (hdrTableSize - 1)
		}
		t[j] = hdrSlot{key: k, id: id}
	}
	return t
}()

// lookupHdr classifies a header name, long or compact form.
func lookupHdr(name []byte) HdrID {
	switch len(name) {
	case 0:
		return HdrOther
	case 1:
		return compactForms[lower(name[0])]
	}
	k := hdrKey(name)
	for j := hdrSlotKey(k).slot(); hdrTable[j].id != 0; j = (j + 1) & (hdrTableSize - 1) {
		if s := hdrTable[j]; s.key == k && foldEqual(name, hdrFolded[s.id]) {
			return s.id
		}
	}
	return HdrOther
}

// foldEqual compares name with folded (a known name with every byte |0x20)
// a word at a time; the last word overlaps the previous one rather than
// falling back to a byte loop.
func foldEqual(name, folded []byte) bool {
	n := len(name)
	if n != len(folded) {
		return false
	}
	switch {
	case n >= 8:
		const mask = 0x2020202020202020
		for i := 0; i+8 <= n; i += 8 {
			if binary.LittleEndian.Uint64(name[i:])|mask != binary.LittleEndian.Uint64(folded[i:]) {
				return false
			}
		}
		return binary.LittleEndian.Uint64(name[n-8:])|mask == binary.LittleEndian.Uint64(folded[n-8:])
	case n >= 4:
		const mask = 0x20202020
		return binary.LittleEndian.Uint32(name)|mask == binary.LittleEndian.Uint32(folded) &&
			binary.LittleEndian.Uint32(name[n-4:])|mask == binary.LittleEndian.Uint32(folded[n-4:])
	}
	for i := range name {
		if name[i]|0x20 != folded[i] {
			return false
		}
	}
	return true
}
