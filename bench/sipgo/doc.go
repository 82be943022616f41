// Package sipgobench measures github.com/emiago/sipgo v1.7.3 and
// sipfleet's internal/sip on the same messages and the same work, side by
// side. It is a separate module so the product never depends on sipgo.
//
//	cd bench/sipgo && go test -bench . -benchmem
package sipgobench
