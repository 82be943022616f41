package dispatcher

import (
	"context"
	"fmt"
	"log/slog"
)

// ReportFailure tells the dispatcher that real traffic to dst failed: the
// request timed out, was answered 408 or 5xx (whichever codes the LB's
// failover treats as failures), or the TCP or TLS connection could not be
// made. It counts as a failed probe, so FailThreshold of them in a row
// take dst out of rotation without waiting for the next probe round.
func (d *Dispatcher) ReportFailure(dst *Destination, cause error) {
	d.observe(dst, observation{ok: false, src: fromTraffic, err: cause, now: d.clock.Now()})
}

// ReportSuccess tells the dispatcher that real traffic to dst got an
// answer other than a failure. It clears an active destination's failure
// streak, unless HealthConfig.IgnoreTrafficSuccess; it never brings an
// inactive destination back, which only probes do.
func (d *Dispatcher) ReportSuccess(dst *Destination) {
	d.observe(dst, observation{ok: true, src: fromTraffic, now: d.clock.Now()})
}

// SetState is the administrator's override (Kamailio's
// dispatcher.set_state): it puts the destination of set setID named by
// URI or duid into state s. Disabled sticks until the next SetState; the
// others are where the state machine starts from again.
func (d *Dispatcher) SetState(setID int, uriOrDUID string, s State) error {
	if s > StateDisabled {
		return fmt.Errorf("set state of %q in set %d: unknown %v", uriOrDUID, setID, s)
	}
	dst, ok := d.Lookup(setID, uriOrDUID)
	if !ok {
		return fmt.Errorf("set state of %q in set %d: no such destination", uriOrDUID, setID)
	}
	t := dst.h.set(s, d.clock.Now())
	d.logTransition(dst, t, "administrator", nil)
	return nil
}

func (d *Dispatcher) observe(dst *Destination, ob observation) {
	t := dst.h.observe(ob, &d.cfg)
	cause := "probe"
	if ob.src == fromTraffic {
		cause = "traffic"
	}
	d.logTransition(dst, t, cause, ob.err)
}

// logTransition logs a change of state, once, here where it is decided.
// Going out of rotation is a warning; anything else is information.
func (d *Dispatcher) logTransition(dst *Destination, t transition, cause string, err error) {
	if !t.changed() {
		return
	}
	level := slog.LevelInfo
	if t.from == StateActive {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.Int("set", dst.SetID), slog.String("uri", dst.URI),
		slog.String("from", t.from.String()), slog.String("to", t.to.String()),
		slog.String("cause", cause),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	d.log.LogAttrs(context.Background(), level, "dispatcher destination state changed", attrs...)
}
