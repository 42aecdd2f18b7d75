// Package natstest starts what tests of the packages above pipeline share:
// a real embedded nats-server with the pipeline's streams. It is apart from
// testenv because classify's own tests use testenv, and pipeline imports
// classify.
package natstest

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/pipeline"
)

// Pipeline starts a real embedded nats-server on a random port with the
// pipeline's streams laid out, and connects to it; both stop when the test
// ends. log receives the server's and the client's events. The data folder
// is returned for tests that look at what the server stored.
func Pipeline(t testing.TB, log zerolog.Logger) (c *pipeline.Client, dataDir string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dataDir = t.TempDir()
	srv, err := pipeline.StartEmbedded(ctx, pipeline.EmbeddedConfig{DataDir: dataDir, Port: pipeline.RandomPort, Log: log})
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	c, err = pipeline.Connect(ctx, srv.ClientURL(), pipeline.WithLogger(log))
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.EnsureStreams(ctx, pipeline.Config{}); err != nil {
		t.Fatalf("EnsureStreams: %v", err)
	}
	return c, dataDir
}
