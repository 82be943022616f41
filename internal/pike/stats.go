package pike

import (
	"cmp"
	"net/netip"
	"slices"
	"time"
)

// Stats is a snapshot of a Limiter, for metrics and the management API.
type Stats struct {
	Tracked   int    // sources counted now
	Banned    int    // sources banned at the time asked
	Dropped   uint64 // requests refused (Allow returned false)
	Bans      uint64 // bans started
	Evicted   uint64 // sources forgotten before they went idle, the table being full
	Untracked uint64 // requests let through uncounted, the table being full of banned sources
}

// Stats sums the shards' counters and counts the sources banned at now.
func (l *Limiter) Stats(now time.Time) Stats {
	t := now.UnixNano()
	var st Stats
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		st.Tracked += len(sh.index)
		st.Dropped += sh.dropped
		st.Bans += sh.bans
		st.Evicted += sh.evicted
		st.Untracked += sh.untracked
		for j := range sh.slots {
			if s := &sh.slots[j]; s.used && t < s.bannedTill {
				st.Banned++
			}
		}
		sh.mu.Unlock()
	}
	return st
}

// Ban is one banned source.
type Ban struct {
	Source netip.Prefix
	Until  time.Time
}

// Bans lists the sources banned at now, the longest ban first, for an
// operator asking who is being refused.
func (l *Limiter) Bans(now time.Time) []Ban {
	t := now.UnixNano()
	var out []Ban
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		for j := range sh.slots {
			if s := &sh.slots[j]; s.used && t < s.bannedTill {
				out = append(out, Ban{Source: l.prefix(s.key), Until: time.Unix(0, s.bannedTill)})
			}
		}
		sh.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b Ban) int {
		return cmp.Or(b.Until.Compare(a.Until), a.Source.Addr().Compare(b.Source.Addr()))
	})
	return out
}

// Sweep forgets the sources that are not banned and were idle for two
// intervals, and returns how many. Call it every few intervals; between
// sweeps a full table still makes room by eviction.
func (l *Limiter) Sweep(now time.Time) int {
	t := now.UnixNano()
	n := 0
	for i := range l.shards {
		n += l.shards[i].sweep(t, &l.p)
	}
	return n
}
