package pipeline_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/pipeline"
)

// The store is encrypted at rest (no audio bytes readable in its files),
// and reopening it with another key, or none, fails with a clear error
// instead of starting empty.
func TestEncryptedStoreRefusesWrongKey(t *testing.T) {
	dir := t.TempDir()
	ctx := bg(t)
	start := func(key string) (*pipeline.Embedded, error) {
		return pipeline.StartEmbedded(ctx, pipeline.EmbeddedConfig{DataDir: dir, Port: pipeline.RandomPort, EncryptionKey: key, Log: zerolog.Nop()})
	}
	srv, err := start("first-key-from-a-file")
	if err != nil {
		t.Fatal(err)
	}
	c, err := pipeline.Connect(ctx, srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureStreams(ctx, pipeline.Config{}); err != nil {
		t.Fatal(err)
	}
	audio := []byte("RIFF-plain-audio-that-must-not-be-readable-on-disk")
	if _, err := c.Ingest(ctx, call("enc-1"), bytes.NewReader(audio)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	srv.Shutdown()

	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if bytes.Contains(b, audio) {
			t.Errorf("audio readable in %s", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	for _, key := range []string{"another-key", ""} {
		if srv, err := start(key); err == nil {
			srv.Shutdown()
			t.Errorf("store opened with key %q", key)
		} else if !strings.Contains(err.Error(), "encryption key") {
			t.Errorf("key %q: error %q does not name the key", key, err)
		}
	}
	srv, err = start("first-key-from-a-file")
	if err != nil {
		t.Fatalf("right key: %v", err)
	}
	defer srv.Shutdown()
	c, err = pipeline.Connect(ctx, srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := readAll(t, mustRecording(t, c, "enc-1"))
	if !bytes.Equal(got, audio) {
		t.Errorf("recording after restart: %q", got)
	}
}

func mustRecording(t *testing.T, c *pipeline.Client, id string) interface {
	Read([]byte) (int, error)
	Close() error
} {
	t.Helper()
	r, err := c.Recording(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
