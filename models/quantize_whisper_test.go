//go:build whisper

package models_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/models"
)

// Quantize writes, byte for byte, the file Debian's whisper-quantize (the
// real whisper.cpp tool) writes from the test model, for every type; its
// checksum is the one recorded in the catalogue; and a quantised model is
// not quantised again.
func TestQuantizeMatchesWhisperQuantize(t *testing.T) {
	tool := testenv.Tool(t, "whisper-quantize")
	src := testenv.Model(t)
	dir := t.TempDir()
	for _, typ := range models.QuantTypes {
		ours, theirs := filepath.Join(dir, "ours-"+typ+".bin"), filepath.Join(dir, "theirs-"+typ+".bin")
		info, err := models.Quantize(src, ours, typ)
		if err != nil {
			t.Fatal(err)
		}
		if info.Weights != typ {
			t.Errorf("%s: weights are %s", typ, info.Weights)
		}
		if out, err := exec.Command(tool, src, theirs, typ).CombinedOutput(); err != nil {
			t.Fatalf("whisper-quantize %s: %v\n%s", typ, err, out)
		}
		a, _ := os.ReadFile(ours)
		b, _ := os.ReadFile(theirs)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: our file (%d bytes) differs from whisper-quantize's (%d bytes)", typ, len(a), len(b))
		}
		sum, err := models.FileSHA256(ours)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, want, ok := models.LookupQuantized(models.QuantizedName(testenv.ModelName, typ)); !ok || want.SHA256 != sum {
			t.Errorf("%s: sha256 %s, recorded %+v", typ, sum, want)
		}
		if _, err := models.Quantize(ours, ours+".again", "q8_0"); err == nil || !strings.Contains(err.Error(), "already quantised") {
			t.Errorf("quantising a %s model again: %v", typ, err)
		}
	}
}
