//go:build !linux

package transport

import (
	"errors"
	"net"
)

// Without recvmmsg and sendmmsg there is nothing to batch with: each read
// loop reads one datagram per call and every send goes out at once.

func newBatchReader(*net.UDPConn, int, int) (batchReader, error) { return nil, errors.ErrUnsupported }

func newBatchWriter(*net.UDPConn, int) (batchWriter, error) { return nil, errors.ErrUnsupported }
