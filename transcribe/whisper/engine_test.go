//go:build whisper

package whisper_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/transcribe"
	"github.com/callscribe/callscribe/transcribe/whisper"
)

func decodeFile(t testing.TB, path string) *transcribe.Audio {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := transcribe.Decode(f, transcribe.DecodeOptions{})
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return a
}

func TestTranscribeJFK(t *testing.T) {
	e, err := whisper.Open(whisper.Config{ModelPath: testenv.Model(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	a := decodeFile(t, testenv.Shared(t, "speech/jfk/jfk.wav"))
	tr, err := e.Transcribe(context.Background(), a, transcribe.Options{Language: "en", Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ToLower(tr.Text())
	text = strings.NewReplacer(",", "", ".", "").Replace(text)
	if !strings.Contains(text, "ask not what your country can do for you") {
		t.Fatalf("transcript %q lacks the famous line", tr.Text())
	}
	if len(tr.Segments) == 0 || tr.Segments[len(tr.Segments)-1].End <= tr.Segments[0].Start {
		t.Fatalf("segments lack timestamps: %+v", tr.Segments)
	}
	for _, s := range tr.Segments {
		if len(s.Tokens) == 0 || s.AvgLogProb >= 0 || s.AvgLogProb < -5 {
			t.Errorf("segment %d: tokens %d, avg logprob %v: want tokens with probabilities", s.Index, len(s.Tokens), s.AvgLogProb)
		}
	}
	if tr.Timings.Encode <= 0 {
		t.Errorf("no encode timing from whisper.cpp: %+v", tr.Timings)
	}
	// The transcript names what made it, for a record's provenance: the
	// library's version and the model file's checksum, computed here
	// independently of the engine.
	model, err := os.ReadFile(testenv.Model(t))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(model)
	r := tr.Recogniser
	if r == nil || r.Engine != "whisper.cpp" || r.Version == "" || r.Version != whisper.Version() ||
		r.Model != testenv.ModelName || r.ModelSHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("recogniser %+v, want whisper.cpp %s, %s, sha256 %x", r, whisper.Version(), testenv.ModelName, sum)
	}
}

func TestCancelledContext(t *testing.T) {
	e, err := whisper.Open(whisper.Config{ModelPath: testenv.Model(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	a := decodeFile(t, testenv.Shared(t, "speech/jfk/jfk.wav"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Transcribe(ctx, a, transcribe.Options{}); err != context.Canceled {
		t.Fatalf("cancelled transcription: got %v, want context.Canceled", err)
	}
}

func TestCorruptModel(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ggml-broken.bin")
	if err := os.WriteFile(p, []byte("lmggnot really a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := whisper.Open(whisper.Config{ModelPath: p}); err == nil || !strings.Contains(err.Error(), "could not read it") {
		t.Fatalf("corrupt model: got %v, want a clear load error", err)
	}
}
