module github.com/sipfleet/sipfleet/bench/sipgo

go 1.26.8

require (
	github.com/emiago/sipgo v1.7.3
	github.com/sipfleet/sipfleet v0.0.0
)

require (
	github.com/gobwas/httphead v0.1.0 // indirect
	github.com/gobwas/pool v0.2.1 // indirect
	github.com/gobwas/ws v1.3.2 // indirect
	github.com/google/uuid v1.6.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

replace github.com/sipfleet/sipfleet => ../..
