package sip

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

// hdrByLen buckets the known names by length, so classifying a name costs
// one or two comparisons instead of a map lookup (which would need a
// lowercased copy of the name).
var hdrByLen = func() (t [24][]HdrID) {
	for id := HdrID(1); id < hdrCount; id++ {
		t[len(hdrNames[id])] = append(t[len(hdrNames[id])], id)
	}
	return t
}()

// lookupHdr classifies a header name, long or compact form.
func lookupHdr(name []byte) HdrID {
	if len(name) == 1 {
		return compactForms[lower(name[0])]
	}
	if len(name) >= len(hdrByLen) {
		return HdrOther
	}
	c := lower(name[0])
	for _, id := range hdrByLen[len(name)] {
		if n := hdrNames[id]; lower(n[0]) == c && equalFold(name, n) {
			return id
		}
	}
	return HdrOther
}
