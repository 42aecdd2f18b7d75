package pipeline_test

import (
	"bytes"
	"testing"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/pipeline"
)

// A server started without a listener (bench's) is reached in-process: a
// call goes in and its state comes back through the in-process connection.
func TestNoListenServerIsReachedInProcessOnly(t *testing.T) {
	ctx := bg(t)
	srv, err := pipeline.StartEmbedded(ctx, pipeline.EmbeddedConfig{DataDir: t.TempDir(), NoListen: true, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	c, err := pipeline.Connect(ctx, "", pipeline.WithInProcess(srv))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.EnsureStreams(ctx, pipeline.Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Ingest(ctx, call("inproc-1"), bytes.NewReader(audioFor("inproc-1"))); err != nil {
		t.Fatal(err)
	}
	if st, err := c.State(ctx, "inproc-1"); err != nil || st.State != pipeline.StateReceived {
		t.Errorf("state through the in-process connection: %+v, %v", st, err)
	}
}
