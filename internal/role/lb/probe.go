package lb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/dchest/siphash"

	"github.com/sipfleet/sipfleet/internal/dispatcher"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/transaction"
)

// probeAttempt marks the branch of a health probe: a request the LB
// originates, so its response has only the LB's Via.
const probeAttempt = 15

// probeMAC signs a probe's branch over its Call-ID.
func (s signer) probeMAC(callID []byte) uint64 {
	return siphash.Hash(s.k0^0x70726f6265, s.k1, callID)
}

// Probe sends an OPTIONS to dst and waits for a final response; any final
// response means the destination is alive (Kamailio's ds_ping_reply_codes
// default: a 2xx; we also count 404/405/501/483, which prove a SIP stack
// answers). It implements dispatcher.Prober.
func (lb *LB) Probe(ctx context.Context, dst *dispatcher.Destination) (time.Duration, error) {
	t, ok := lb.backend.target(dst)
	if !ok {
		return 0, errors.New("probe: destination has no address")
	}
	out := lb.outSock(t)
	if out == nil {
		return 0, errors.New("probe: no listener for the destination's transport")
	}
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	callID := "probe-" + hex.EncodeToString(rnd[:])
	var branch [40]byte
	req := sip.Request{
		Method: "OPTIONS",
		URI:    dst.URI,
		Via:    string(out.via) + string(appendBranch(branch[:0], lb.sign.probeMAC([]byte(callID)), probeAttempt, 0)),
		From:   "<sip:dispatcher@" + out.host + ">;tag=" + hex.EncodeToString(rnd[:4]),
		To:     "<" + dst.URI + ">",
		CallID: callID,
		CSeq:   1,
		Extra:  []sip.Field{{Name: "User-Agent", Value: "sipfleet-lb"}},
	}
	done := make(chan error, 1)
	start := time.Now()
	tu := transaction.ClientFuncs{
		Response: func(_ *transaction.ClientTx, resp *sip.Msg) {
			if c := resp.StatusCode(); c >= 200 {
				done <- probeVerdict(c)
			}
		},
		Error: func(_ *transaction.ClientTx, err error) { done <- err },
	}
	if _, err := lb.txl.NewClientTx(sip.AppendRequest(nil, &req), lb.sendFunc(out, t, nil), out.l.Proto().Stream(), tu); err != nil {
		if !out.l.Proto().Stream() {
			// A UDP send fails only for reasons of this host (its source
			// address is a VIP the other LB holds): not the backend's.
			return 0, fmt.Errorf("probe: %w: %w", dispatcher.ErrNotSent, err)
		}
		return 0, fmt.Errorf("probe: %w", err)
	}
	select {
	case err := <-done:
		return time.Since(start), err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func probeVerdict(code int) error {
	switch {
	case code < 300, code == 404, code == 405, code == 483, code == 501:
		return nil
	}
	return fmt.Errorf("probe answered %d", code)
}
