//go:build whisper

package models

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/callscribe/callscribe/internal/testenv"
)

// Every format, on a model built to reach the quantisers' edge cases
// (zero and sub-epsilon groups, constant, one-signed and outlier rows,
// weights from 1e-4 to 4), is byte for byte what Debian's whisper-quantize
// writes. (quantize_whisper_test.go does the same on the real test model
// for the formats its 384-weight rows allow.)
func TestQuantizeWideMatchesWhisperQuantize(t *testing.T) {
	tool := testenv.Tool(t, "whisper-quantize")
	wide := writeWideModel(t)
	dir := t.TempDir()
	for _, typ := range QuantTypes {
		ours, theirs := filepath.Join(dir, "ours-"+typ), filepath.Join(dir, "theirs-"+typ)
		quantizeWide(t, wide, ours, typ)
		if out, err := exec.Command(tool, wide, theirs, typ).CombinedOutput(); err != nil {
			t.Fatalf("whisper-quantize %s: %v\n%s", typ, err, out)
		}
		a, _ := os.ReadFile(ours)
		b, _ := os.ReadFile(theirs)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: our file (%d bytes) differs from whisper-quantize's (%d bytes)", typ, len(a), len(b))
		}
	}
}
