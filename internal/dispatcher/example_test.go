package dispatcher_test

import (
	"errors"
	"fmt"

	"github.com/sipfleet/sipfleet/internal/dispatcher"
)

// The LB's failover loop: select, try each destination in turn, report
// what failed.
func Example() {
	list, err := dispatcher.ParseList("dispatcher.list", []byte(`
# proxies
2 sip:10.0.1.1:5060 0 10
2 sip:10.0.1.2:5060 0 5
2 sip:10.0.1.3:5060 0 1
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := dispatcher.New(list, dispatcher.Options{Health: dispatcher.HealthConfig{FailThreshold: 1}})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := d.Select(2, dispatcher.AlgPriority, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for dst, ok := c.Next(); ok; dst, ok = c.Next() {
		if dst.Host == "10.0.1.1" {
			fmt.Println("timeout from", dst.URI)
			d.ReportFailure(dst, errors.New("timer B fired"))
			continue
		}
		fmt.Println("answered by", dst.URI)
		break
	}
	fmt.Println(d.List()[0].State)
	// Output:
	// timeout from sip:10.0.1.1:5060
	// answered by sip:10.0.1.2:5060
	// inactive
}
