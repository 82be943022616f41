// Package lb is the edge load balancer: the only SIP address phones and
// peer providers see (DESIGN.md, "LB"). It keeps no registration or
// dialog state and does no database work per message:
//
//   - responses are relayed statelessly by the Via stack;
//   - REGISTERs from the public side get a Path naming the LB (with the
//     UA's real source in ;received= when it is behind a NAT) and go to a
//     registrar chosen by the dispatcher;
//   - other initial requests from the public side are Record-Routed
//     (twice when they cross from one socket to another) and go to a proxy;
//   - requests from the private side that carry the LB's own Path or
//     Record-Route entry are sent on to the ;received= address or along the
//     route, out of the public side;
//   - in-dialog requests follow their Route set, never the dispatcher.
//
// The only state is a client transaction for each request the LB itself
// dispatched, kept so that a timeout or a 408/5xx fails over to the next
// destination, and so that CANCEL and retransmissions reach the
// destination the request went to.
//
// The LB is not an open relay: from the public side a request reaches only
// the backends or a configured peer, only backends may use received=
// routing, and every Via branch the LB writes is a MAC under the fleet
// secret, so a response the LB did not cause is dropped rather than
// reflected.
package lb
