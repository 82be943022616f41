package node

import (
	"context"
	"errors"

	"github.com/sipfleet/sipfleet/internal/config"
)

// newProxyRole is replaced when the proxy role is built.
func newProxyRole(context.Context, *config.Config, *Node) (role, error) {
	return nil, errors.New("not yet implemented")
}
