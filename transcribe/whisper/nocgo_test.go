//go:build !whisper

package whisper_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/transcribe"
	"github.com/callscribe/callscribe/transcribe/whisper"
)

// A build without whisper.cpp must refuse to transcribe and say how to fix it.
func TestRefusesWithoutWhisper(t *testing.T) {
	_, err := whisper.Open(whisper.Config{ModelPath: "whatever.bin"})
	if !errors.Is(err, whisper.ErrNotBuilt) || !strings.Contains(err.Error(), "scripts/build.sh") {
		t.Fatalf("Open: got %v, want ErrNotBuilt naming scripts/build.sh", err)
	}
	var e whisper.Engine
	if _, err := e.Transcribe(context.Background(), &transcribe.Audio{}, transcribe.Options{}); !errors.Is(err, whisper.ErrNotBuilt) {
		t.Fatalf("Transcribe: got %v", err)
	}
}
