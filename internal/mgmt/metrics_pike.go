package mgmt

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sipfleet/sipfleet/internal/pike"
)

// RegisterPike exports the flood limiter's state, read from stats once per
// scrape (typically func() pike.Stats { return lim.Stats(time.Now()) }).
func RegisterPike(reg prometheus.Registerer, stats func() pike.Stats) error {
	type ps = pike.Stats
	return RegisterSnapshot(reg, stats,
		gaugeOf("sipfleet_pike_tracked_sources", "Source prefixes whose request rate is being counted.",
			func(s *ps) int { return s.Tracked }),
		gaugeOf("sipfleet_pike_banned_sources", "Source prefixes banned now for flooding.",
			func(s *ps) int { return s.Banned }),
		counterOf("sipfleet_pike_bans_total", "Bans started.",
			func(s *ps) uint64 { return s.Bans }),
		counterOf("sipfleet_pike_dropped_requests_total", "Requests dropped because their source was banned.",
			func(s *ps) uint64 { return s.Dropped }),
		counterOf("sipfleet_pike_evicted_sources_total", "Sources forgotten early to make room, the table being full.",
			func(s *ps) uint64 { return s.Evicted }),
		counterOf("sipfleet_pike_untracked_requests_total", "Requests let through uncounted, the table being full of banned sources.",
			func(s *ps) uint64 { return s.Untracked }),
	)
}
