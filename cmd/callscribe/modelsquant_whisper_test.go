//go:build whisper

package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/internal/testenv"
)

// `models quantize` writes a q8_0 copy of the test model whose checksum is
// the recorded one, and the copy transcribes: jfk.wav through the q8_0
// model still says what it says.
func TestModelsQuantizeCLI(t *testing.T) {
	model := testenv.Model(t)
	out := filepath.Join(t.TempDir(), "ggml-tiny.en-q8_0.bin")
	code, stdout, stderr := runCLI(t, "models", "quantize", model, "q8_0", "-out", out)
	if code != 0 || !strings.Contains(stdout, "sha256 matches the recorded checksum") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "transcribe", "-model", out, "-threads", "2", testenv.Shared(t, "speech/jfk/jfk.wav"))
	if code != 0 || !strings.Contains(strings.ToLower(stdout), "ask not what your country") {
		t.Fatalf("transcribe with the q8_0 model: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, stderr := runCLI(t, "models", "quantize", model, "q4_0"); code != 2 || !strings.Contains(stderr, "want one of q8_0, q6_k") {
		t.Errorf("unknown type: exit %d, %s", code, stderr)
	}
	// tiny.en's 384-weight rows are not whole K-quant blocks: whisper-quantize
	// writes a file whisper.cpp cannot load; callscribe refuses and says why.
	if code, _, stderr := runCLI(t, "models", "quantize", model, "q6_k", "-out", out+".k"); code != 1 || !strings.Contains(stderr, "not whole 256-weight blocks") {
		t.Errorf("q6_k of tiny.en: exit %d, %s", code, stderr)
	}
}
