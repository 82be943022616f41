package mgmt

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sipfleet/sipfleet/internal/transaction"
)

// RegisterTransactions exports the number of live transactions, read from
// stats once per scrape (typically (*transaction.Layer).Stats).
func RegisterTransactions(reg prometheus.Registerer, stats func() transaction.Stats) error {
	type xs = transaction.Stats
	return RegisterSnapshot(reg, stats,
		byLabel("sipfleet_transaction_live", "Transactions in memory (RFC 3261 §17), by side.", Gauge, "side",
			series[xs, int]{"server", func(s *xs) int { return s.Server }},
			series[xs, int]{"client", func(s *xs) int { return s.Client }}),
	)
}
