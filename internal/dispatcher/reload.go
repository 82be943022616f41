package dispatcher

import (
	"slices"
	"time"
)

// snapshot is one loaded list: immutable once built, replaced whole by a
// reload. Selection reads it with a single atomic load.
type snapshot struct {
	sets   map[int]*set
	setIDs []int
	dests  []*Destination // list order
	byID   map[string]*Destination
}

// ReloadSummary says what a reload changed, for the log and the
// management API.
type ReloadSummary struct {
	Sets         int // sets in the new list
	Destinations int // destinations in the new list
	Added        int // destinations new to this list
	Removed      int // destinations of the old list gone from this one
	Kept         int // destinations in both, with their state and counters
	Reset        int // of those kept, destinations whose changed flags reset their state
}

// Reload swaps in list. Destinations in both the old and the new list keep
// their state, counters and calls in progress, unless their flags changed
// (see health.reconfigure). Selections running during the swap finish on
// the list they started on; the next Select sees the new one. A list that
// fails to parse never gets here, so a failed reload changes nothing.
func (d *Dispatcher) Reload(list *List) ReloadSummary {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	snap, sum := buildSnapshot(list, d.cur.Load(), d.clock.Now())
	d.cur.Store(snap)
	d.log.Info("dispatcher list reloaded", "sets", sum.Sets, "destinations", sum.Destinations,
		"added", sum.Added, "removed", sum.Removed, "kept", sum.Kept, "reset", sum.Reset)
	return sum
}

// buildSnapshot builds the snapshot of list, taking the health of every
// destination old has under the same identity.
func buildSnapshot(list *List, old *snapshot, now time.Time) (*snapshot, ReloadSummary) {
	snap := &snapshot{sets: map[int]*set{}, byID: map[string]*Destination{}}
	var sum ReloadSummary
	if list == nil {
		list = &List{}
	}
	members := map[int][]*Destination{}
	for _, e := range list.Entries {
		dst := newDestination(e)
		if prev := old.find(dst.ID); prev != nil {
			dst.h = prev.h
			sum.Kept++
			if dst.h.reconfigure(e.Flags, now).changed() {
				sum.Reset++
			}
		} else {
			dst.h = newHealth(e.Flags, now)
			sum.Added++
		}
		snap.dests = append(snap.dests, dst)
		snap.byID[dst.ID] = dst
		members[e.SetID] = append(members[e.SetID], dst)
	}
	for id, dests := range members {
		snap.sets[id] = newSet(id, dests)
		snap.setIDs = append(snap.setIDs, id)
	}
	slices.Sort(snap.setIDs)
	if old != nil {
		sum.Removed = len(old.dests) - sum.Kept
	}
	sum.Sets, sum.Destinations = len(snap.sets), len(snap.dests)
	return snap, sum
}

func (s *snapshot) find(id string) *Destination {
	if s == nil {
		return nil
	}
	return s.byID[id]
}

func newDestination(e Entry) *Destination {
	t := parseTarget(e.URI)
	return &Destination{
		Entry:     e,
		ID:        identity(&e),
		Host:      t.host,
		Port:      t.port,
		Transport: t.transport,
		seed:      seedOf(&e),
	}
}
