package process

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/internal/testenv"
)

// Recordings for the tests, made by sox and ffmpeg in the test run into
// t.TempDir() (nothing is committed). Under CI a missing tool fails the
// test (testenv.Tool).

func tool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(testenv.Tool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// soxDuration is a file's length in seconds.
func soxDuration(t *testing.T, path string) float64 {
	t.Helper()
	d, err := strconv.ParseFloat(tool(t, "soxi", "-D", path), 64)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// silence writes secs seconds of 8 kHz mono digital silence.
func silence(t *testing.T, dir string, secs float64) string {
	t.Helper()
	p := filepath.Join(dir, "sil-"+strconv.FormatFloat(secs, 'f', 3, 64)+".wav")
	tool(t, "sox", "-n", "-r", "8000", "-c", "1", "-b", "16", p, "trim", "0", strconv.FormatFloat(secs, 'f', 3, 64))
	return p
}

// turn is one utterance on one side of a call.
type turn struct {
	channel int    // 0 left (handler), 1 right (caller)
	path    string // 8 kHz mono WAV, or a sox synth spec when synth is set
}

// stereoCall places turns one after another, each on its own channel with
// the other channel silent meanwhile, gap seconds apart, and writes an
// 8 kHz 16-bit stereo WAV: the handler left, the caller right.
func stereoCall(t *testing.T, dir, name string, turns []turn, gap float64) string {
	t.Helper()
	var sides [2][]string
	for _, tr := range turns {
		d := soxDuration(t, tr.path)
		sides[tr.channel] = append(sides[tr.channel], tr.path, silence(t, dir, gap))
		sides[1-tr.channel] = append(sides[1-tr.channel], silence(t, dir, d+gap))
	}
	var chans [2]string
	for c := range chans {
		chans[c] = filepath.Join(dir, name+"-ch"+strconv.Itoa(c)+".wav")
		tool(t, "sox", append(sides[c], chans[c])...)
	}
	out := filepath.Join(dir, name+".wav")
	tool(t, "sox", "-M", chans[0], chans[1], out)
	return out
}

// tone8k writes secs seconds of an 8 kHz tone.
func tone8k(t *testing.T, dir string, freq int, secs float64) string {
	t.Helper()
	p := filepath.Join(dir, "tone-"+strconv.Itoa(freq)+"-"+strconv.FormatFloat(secs, 'f', 3, 64)+".wav")
	tool(t, "sox", "-n", "-r", "8000", "-c", "1", "-b", "16", p, "synth", strconv.FormatFloat(secs, 'f', 3, 64), "sine", strconv.Itoa(freq), "vol", "0.3")
	return p
}
