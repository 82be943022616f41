package dispatcher

import "time"

// DestinationStatus is one destination's configuration, state and
// counters at one moment, for the management API and metrics. Counters
// run from the destination's first load and survive reloads.
type DestinationStatus struct {
	SetID       int
	URI         string
	ID          string
	Flags       Flags
	Priority    int
	Attrs       string
	Description string

	State State
	Since time.Time // of the last change of state

	Selected         uint64 // times Next returned it
	TrafficSuccesses uint64
	TrafficFailures  uint64
	ProbeSuccesses   uint64
	ProbeFailures    uint64
	InFlight         int64 // calls acquired and not released
	MaxLoad          int   // 0: unbounded

	LastProbe      time.Time // zero when never probed
	LastProbeOK    bool
	LastProbeError string
	LastLatency    time.Duration
	FailStreak     int     // failures in a row so far
	HealthScore    float64 // recent success ratio, 0..1, that scales rweight
}

// List returns the status of every destination of the current list, in
// list order.
func (d *Dispatcher) List() []DestinationStatus {
	dests := d.cur.Load().dests
	out := make([]DestinationStatus, len(dests))
	for i, dst := range dests {
		out[i] = dst.status()
	}
	return out
}

func (dst *Destination) status() DestinationStatus {
	h := dst.h
	s := DestinationStatus{
		SetID:            dst.SetID,
		URI:              dst.URI,
		ID:               dst.ID,
		Flags:            dst.Flags,
		Priority:         dst.Priority,
		Attrs:            dst.Attrs.Raw,
		Description:      dst.Description,
		Selected:         h.selected.Load(),
		TrafficSuccesses: h.trafficOK.Load(),
		TrafficFailures:  h.trafficFail.Load(),
		ProbeSuccesses:   h.probeOK.Load(),
		ProbeFailures:    h.probeFail.Load(),
		InFlight:         h.inflight.Load(),
		MaxLoad:          dst.Attrs.MaxLoad,
		HealthScore:      float64(h.score.Load()) / scoreScale,
	}
	h.mu.Lock()
	s.State = h.load()
	s.Since = h.since
	s.LastProbe, s.LastProbeOK, s.LastProbeError = h.lastProbe, h.lastProbeOK, h.lastErr
	s.LastLatency = h.lastLatency
	s.FailStreak = h.failStreak
	h.mu.Unlock()
	return s
}
