// Package nat holds the NAT handling shared by the edge load balancer, the
// registrar and the NAT pinger: the tests that tell a UA is behind a NAT
// (after Kamailio's nathelper nat_uac_test), private address ranges, and
// the received= value the LB stamps into Path (after Kamailio's
// add_path_received) and the registrar and pinger read back.
package nat
