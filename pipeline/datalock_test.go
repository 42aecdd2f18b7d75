package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/pipeline"
)

// A second embedded server on a data folder in use is refused before it
// opens the store, and the message names the holder; once the first stops,
// the same folder starts again (the positive control for the refusal).
func TestEmbeddedRefusesDataFolderInUse(t *testing.T) {
	dir := t.TempDir()
	cfg := pipeline.EmbeddedConfig{DataDir: dir, Port: pipeline.RandomPort}
	first, err := pipeline.StartEmbedded(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pipeline.StartEmbedded(context.Background(), cfg)
	if !errors.Is(err, pipeline.ErrDataInUse) {
		t.Fatalf("second start on %s: %v, want ErrDataInUse", dir, err)
	}
	if want := fmt.Sprintf("pid %d", os.Getpid()); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "-data") {
		t.Errorf("message %q should name the holder (%s) and say how to use another folder", err, want)
	}
	if err := pipeline.CheckDataDir(dir); !errors.Is(err, pipeline.ErrDataInUse) {
		t.Errorf("CheckDataDir while held: %v, want ErrDataInUse", err)
	}
	first.Shutdown()
	if err := pipeline.CheckDataDir(dir); err != nil {
		t.Errorf("CheckDataDir after the holder stopped: %v", err)
	}
	if err := pipeline.CheckDataDir(t.TempDir()); err != nil {
		t.Errorf("CheckDataDir of a new folder: %v", err)
	}
	again, err := pipeline.StartEmbedded(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start after the first stopped: %v", err)
	}
	again.Shutdown()
}

// The lock is the kernel's, not the file's presence: a holder killed with
// SIGKILL leaves the file behind but not the lock.
func TestDataLockDiesWithItsHolder(t *testing.T) {
	if os.Getenv("CALLSCRIBE_LOCK_CHILD") != "" {
		_, err := pipeline.StartEmbedded(context.Background(), pipeline.EmbeddedConfig{
			DataDir: os.Getenv("CALLSCRIBE_LOCK_CHILD"), Port: pipeline.RandomPort})
		if err != nil {
			fmt.Println("child:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		select {}
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDataLockDiesWithItsHolder$")
	cmd.Env = append(os.Environ(), "CALLSCRIBE_LOCK_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	if !strings.Contains(string(buf[:n]), "locked") {
		t.Fatalf("child did not take the lock: %q", buf[:n])
	}
	cfg := pipeline.EmbeddedConfig{DataDir: dir, Port: pipeline.RandomPort}
	if _, err := pipeline.StartEmbedded(context.Background(), cfg); !errors.Is(err, pipeline.ErrDataInUse) {
		t.Fatalf("while the child holds it: %v, want ErrDataInUse", err)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	e, err := pipeline.StartEmbedded(context.Background(), cfg)
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	e.Shutdown()
}
