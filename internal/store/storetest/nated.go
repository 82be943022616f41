package storetest

import (
	"fmt"
	"slices"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
)

func natedCases() []testCase {
	return []testCase{
		{"nated pages and partitions", false, natedPages},
		{"nated query checks", false, func(e *env) {
			for _, q := range []store.NATedQuery{
				{Limit: 0},
				{Limit: 5, Partitions: []int{1}, Shards: 2},
				{Limit: 5, Shard: 2, Shards: 2},
				{Limit: 5, Partitions: make([]int, 65)},
			} {
				if _, err := e.s.NATed(e.ctx, q); err == nil {
					e.t.Errorf("nated %+v: no error", q)
				}
			}
		}},
	}
}

// natedPages stores bindings on many AoRs, NATed or not, lapsed or not,
// and reads the NATed ones in pages: whole, by shard and by partition
// list. Every way must give each NATed binding in force exactly once.
func natedPages(e *env) {
	want := map[string]store.Binding{}
	for i := range 150 {
		aor := store.AOR{User: fmt.Sprintf("u%d", i%37), Domain: "example.com"}
		expires := e.now.Add(time.Hour)
		if i%7 == 0 {
			expires = e.now.Add(-time.Minute)
		}
		b := binding(aor, fmt.Sprintf("sip:%d@192.0.2.1", i), expires)
		b.Keepalive = i%3 != 0
		update(e, e.s, aor, []store.Binding{b}, nil)
		if b.Keepalive && b.Live(e.now) {
			want[b.RUID] = b
		}
	}
	check := func(name string, queries []store.NATedQuery) {
		seen := map[string]bool{}
		for _, q := range queries {
			for _, b := range readPages(e, q, 7) {
				if seen[b.RUID] {
					e.t.Errorf("%s: %s twice", name, b.RUID)
				}
				seen[b.RUID] = true
				if _, ok := want[b.RUID]; !ok {
					e.t.Errorf("%s: %s is not a NATed binding in force", name, b.Contact)
				}
			}
		}
		if len(seen) != len(want) {
			e.t.Errorf("%s: %d bindings; want %d", name, len(seen), len(want))
		}
	}
	check("all", []store.NATedQuery{{}})
	var shards, lists []store.NATedQuery
	for k := range 4 {
		shards = append(shards, store.NATedQuery{Shard: k, Shards: 4})
	}
	for k := range 3 {
		var parts []int
		for p := k; p < store.DefaultPartitions; p += 3 {
			parts = append(parts, p)
		}
		lists = append(lists, store.NATedQuery{Partitions: parts[:min(len(parts), 22)]})
	}
	check("4 shards", shards)
	check("3 partition lists", lists)
}

// readPages reads every page of q, limit rows each, checking the order.
func readPages(e *env, q store.NATedQuery, limit int) []store.Binding {
	q.Now, q.Limit = e.now, limit
	var all []store.Binding
	for {
		page, err := e.s.NATed(e.ctx, q)
		if err != nil {
			e.t.Fatalf("nated %+v: %v", q, err)
		}
		if !slices.IsSortedFunc(page, func(a, b store.Binding) int { return int(a.ID - b.ID) }) || len(page) > limit {
			e.t.Fatalf("page after %d: %d rows, not in id order", q.After, len(page))
		}
		all = append(all, page...)
		if len(page) < limit {
			return all
		}
		q.After = page[len(page)-1].ID
	}
}
