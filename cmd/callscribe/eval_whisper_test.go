//go:build whisper

package main

import (
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/internal/testenv"
)

// TestEvalThroughWhisper runs eval on three real dev calls with the test
// model (tiny.en, 2 threads: seconds, not minutes). It checks the shape of
// the report for both ways of classifying, that every audio result carries
// the quality figures and stage times of a real transcription, and that
// the progress log names calls and labels but never transcript text. The
// whole dev set with the default model is too slow for CI on two cores:
// run `callscribe eval --goals ../shared/calls/dev` for the numbers.
func TestEvalThroughWhisper(t *testing.T) {
	model := testenv.Model(t)
	dir := copyCalls(t, "call-0002", "call-0003", "call-0028")

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	logged := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		logged <- string(b)
	}()
	code, out, errOut := runCLI(t, "eval", dir, "--model", model, "--threads", "2", "--json")
	os.Stderr = saved
	w.Close()
	logs := <-logged
	if code != 0 {
		t.Fatalf("eval: exit %d\n%s\n%s", code, errOut, logs)
	}

	var rep evalReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("eval --json output: %v\n%s", err, out)
	}
	if rep.Calls != 3 || len(rep.Modes) != 2 || rep.Modes[0].Mode != modeText || rep.Modes[1].Mode != modeAudio || rep.Model == "" {
		t.Fatalf("report: %d calls, modes %d, model %q", rep.Calls, len(rep.Modes), rep.Model)
	}
	audio := rep.Modes[1]
	if len(audio.Results) != 3 || len(audio.Classes) != 2 || len(audio.Goals) != 2 {
		t.Fatalf("audio mode: %d results, %d classes, %d goals", len(audio.Results), len(audio.Classes), len(audio.Goals))
	}
	n := 0
	for _, row := range audio.Confusion {
		for _, c := range row {
			n += c
		}
	}
	if n != 3 {
		t.Errorf("audio confusion matrix counts %d calls, want 3", n)
	}
	for _, res := range audio.Results {
		q := res.Decision.Quality
		if res.Times == nil || res.Times.Transcribe <= 0 || q.Segments == 0 || q.AvgLogProb == 0 || q.SpeechSeconds < 20 {
			t.Errorf("%s: not a real transcription: times %+v, quality %+v", res.ID, res.Times, q)
		}
		if res.Decision.RulesVersion != rep.RulesVersion {
			t.Errorf("%s: rules %q, want %q", res.ID, res.Decision.RulesVersion, rep.RulesVersion)
		}
		for _, h := range res.Decision.Hits {
			if h.AudioEnd <= h.AudioStart || h.Text == "" || h.Term == "" {
				t.Errorf("%s: hit without audio time, text or term: %+v", res.ID, h)
			}
		}
		if res.Truth == classify.Clinical && res.Label == classify.Administrative {
			t.Errorf("%s: clinical call labelled administrative through the audio: %q", res.ID, res.Decision.Reasons)
		}
	}

	if strings.Count(logs, `"evaluated"`) != 3 || !strings.Contains(logs, `"call":"call-0003"`) {
		t.Errorf("progress log does not name each call:\n%s", logs)
	}
	if strings.Contains(strings.ToLower(logs), "speaking") {
		t.Errorf("transcript text in the info-level log:\n%s", logs)
	}
}
