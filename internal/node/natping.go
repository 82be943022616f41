package node

import (
	"context"
	"errors"

	"github.com/sipfleet/sipfleet/internal/config"
)

// newNATPingRole is replaced when the natping role is built.
func newNATPingRole(context.Context, *config.Config, *Node) (role, error) {
	return nil, errors.New("not yet implemented")
}
