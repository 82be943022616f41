//go:build !linux

package transport

import (
	"errors"
)

// Without recvmmsg and sendmmsg there is nothing to batch with: each read
// loop reads one datagram per call and every send goes out at once.

func newBatchReader(*Socket, int, int) (batchReader, error) { return nil, errors.ErrUnsupported }

func newBatchWriter(*Socket, int) (batchWriter, error) { return nil, errors.ErrUnsupported }
