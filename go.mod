module github.com/sipfleet/sipfleet

go 1.26.8

require (
	go.uber.org/goleak v1.3.0
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/sys v0.50.0
)

require (
	github.com/dchest/siphash v1.2.3 // indirect
	github.com/prometheus/client_golang v1.25.0 // indirect
)
