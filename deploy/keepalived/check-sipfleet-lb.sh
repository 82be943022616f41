#!/bin/sh
# check-sipfleet-lb.sh [URL] - keepalived's health check for a sipfleet LB.
#
# Exits 0 when the LB's management listener answers 200 on /readyz, else
# 1. keepalived runs it every second (vrrp_script in
# keepalived.conf.example); after `fall` failures in a row the instance
# goes to FAULT, drops the VIPs and the other LB takes them over. /readyz
# fails from the first moment of a graceful stop and does not answer at
# all once the process is gone, so both a crash and `systemctl stop` move
# the VIP.
#
# URL defaults to http://127.0.0.1:9060/readyz, the LB's admin.listen.
# The timeouts stay under the vrrp_script timeout (2 s): a hung LB must
# count as a failure, not as a check that never ends.
url=${1:-http://127.0.0.1:9060/readyz}

# -q first: ignore any ~/.curlrc. --noproxy: an http_proxy in keepalived's
# environment must not carry a loopback check elsewhere. --fail: a 503
# (not ready, stopping) is a failure like no answer.
if curl -q --silent --fail --noproxy '*' --connect-timeout 1 --max-time 1 \
	--output /dev/null "$url"; then
	exit 0
fi
exit 1
