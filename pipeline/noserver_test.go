package pipeline_test

import (
	"context"
	"errors"
	"testing"

	"github.com/callscribe/callscribe/pipeline"
)

// A URL where nothing listens is reported as ErrNoServer, so commands can
// say what to do; a server that answers is not.
func TestConnectNoServerIsErrNoServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	_, err := pipeline.Connect(ctx, unreachable)
	if !errors.Is(err, pipeline.ErrNoServer) {
		t.Errorf("connect to %s: %v, want ErrNoServer", unreachable, err)
	}
	env := newEnv(t)
	c, err := pipeline.Connect(ctx, env.srv.ClientURL())
	if err != nil {
		t.Fatalf("connect to a running server: %v", err)
	}
	c.Close()
}
