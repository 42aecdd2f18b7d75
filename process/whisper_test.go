//go:build whisper

package process

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/transcribe"
	"github.com/callscribe/callscribe/transcribe/whisper"
)

// sharedRefs reads ../shared/speech/refs.tsv: file → reference text.
func sharedRefs(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(testenv.Shared(t, "speech/refs.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	refs := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if cols := strings.Split(sc.Text(), "\t"); len(cols) >= 2 {
			refs[cols[0]] = cols[1]
		}
	}
	return refs
}

// werOf is a word error rate in percent, and its counts.
type werOf struct{ errs, words int }

func (w *werOf) add(ref, hyp string) {
	e, n := transcribe.WordErrors(ref, hyp)
	w.errs, w.words = w.errs+e, w.words+n
}
func (w werOf) String() string {
	return fmt.Sprintf("%5.1f%% (%d/%d)", 100*float64(w.errs)/float64(max(w.words, 1)), w.errs, w.words)
}

// bySpeaker joins a transcript's text per speaker label.
func bySpeaker(segs []transcribe.Segment) map[string]string {
	out := map[string]string{}
	for _, s := range segs {
		out[s.Speaker] += " " + s.Text
	}
	return out
}

// cliSegment: "[00:00:01.000 --> 00:00:03.000]  (speaker 0) text".
var cliSegment = regexp.MustCompile(`^\[[^\]]*\]\s*\(speaker ([^)]*)\)\s*(.*)$`)

// whisperCLIDiarized runs whisper-cli -di (whisper.cpp's stereo
// diarization: each segment labelled by which channel is louder over it) on
// path and returns the text per speaker, named as the channels are.
func whisperCLIDiarized(t *testing.T, model, path string) map[string]string {
	t.Helper()
	cli := testenv.Tool(t, "whisper-cli")
	out, err := exec.Command(cli, "-m", model, "-l", "en", "-t", "4", "-bs", "1", "-di", "-np", "-f", path).Output()
	if err != nil {
		t.Fatalf("whisper-cli -di: %v", err)
	}
	names := map[string]string{"0": "handler", "1": "caller"}
	res := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		m := cliSegment.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		who, ok := names[m[1]]
		if !ok {
			who = "?" // whisper-cli could not tell
		}
		res[who] += " " + m[2]
	}
	return res
}

// TestPerChannelWERAgainstMonoMix makes two-channel 8 kHz calls from
// ../shared speech (two VCTK speakers taking turns, handler left, caller
// right, each channel silent while the other talks) and compares, per
// channel and overall, the word error rate of three ways of hearing who said
// what: callscribe's channel-by-channel transcription; the mono mix
// transcribed whole with each segment given to the louder channel (what
// callscribe did before); and whisper-cli -di on the same file.
//
// It fails if channel-by-channel is worse than the mono mix overall, or if
// any word lands on the wrong side (per-channel WER over 50%).
func TestPerChannelWERAgainstMonoMix(t *testing.T) {
	model := testenv.Model(t)
	refs := sharedRefs(t)
	calls := [][]string{ // left, right, left, right, left, right
		{"vctk/p225_003.wav", "vctk/p226_005.wav", "vctk/p225_008.wav", "vctk/p226_016.wav", "vctk/p225_011.wav", "vctk/p226_019.wav"},
		{"vctk/p227_021.wav", "vctk/p228_024.wav", "vctk/p227_022.wav", "vctk/p228_003.wav", "vctk/p227_023.wav", "vctk/p228_008.wav"},
	}
	eng, err := whisper.Open(whisper.Config{ModelPath: model})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	p := newTestProcessor(eng)
	opts := transcribe.Options{Language: "en", Threads: 4, TemperatureInc: 0.2, NoSpeechThreshold: 0.6}
	p.cfg.Options = opts
	dir := t.TempDir()

	systems := []string{"per-channel", "mono mix", "whisper-cli -di"}
	wer := map[string]map[string]*werOf{}
	for _, s := range systems {
		wer[s] = map[string]*werOf{"handler": {}, "caller": {}, "all": {}}
	}
	for i, files := range calls {
		var turns []turn
		ref := map[string]string{}
		var refAll string
		for j, f := range files {
			if refs[f] == "" {
				t.Fatalf("no reference for %s", f)
			}
			u := filepath.Join(dir, fmt.Sprintf("c%d-u%d.wav", i, j))
			tool(t, "sox", testenv.Shared(t, "speech/"+f), "-r", "8000", "-c", "1", "-b", "16", u)
			turns = append(turns, turn{channel: j % 2, path: u})
			who := []string{"handler", "caller"}[j%2]
			ref[who] += " " + refs[f]
			refAll += " " + refs[f]
		}
		path := stereoCall(t, dir, fmt.Sprintf("call%d", i), turns, 0.8)

		hyp := map[string]map[string]string{}
		out := runFile(t, p, path, nil)
		hyp["per-channel"] = bySpeaker(out.Transcript.Segments)

		// The mono mix, transcribed whole, speakers by channel energy.
		mono, err := eng.Transcribe(context.Background(), &transcribe.Audio{Samples: out.Audio.Samples}, opts)
		if err != nil {
			t.Fatal(err)
		}
		transcribe.LabelSpeakers(mono, out.Audio, nil)
		hyp["mono mix"] = bySpeaker(mono.Segments)
		hyp["mono mix"]["all"] = mono.Text()

		hyp["whisper-cli -di"] = whisperCLIDiarized(t, model, path)
		for _, s := range systems {
			for _, who := range []string{"handler", "caller"} {
				wer[s][who].add(ref[who], hyp[s][who])
			}
			// Overall: every word heard, whoever it is given to, against
			// the whole call (order by side: the per-channel text is
			// compared as handler then caller, as the mono text would lose
			// nothing by it).
			all := hyp[s]["all"]
			if all == "" {
				all = hyp[s]["handler"] + " " + hyp[s]["caller"] + " " + hyp[s]["?"]
				wer[s]["all"].add(ref["handler"]+" "+ref["caller"], all)
			} else {
				wer[s]["all"].add(refAll, all)
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s %-20s %-20s %-20s\n", "", "handler (left)", "caller (right)", "all words")
	for _, s := range systems {
		fmt.Fprintf(&b, "%-16s %-20s %-20s %-20s\n", s, wer[s]["handler"], wer[s]["caller"], wer[s]["all"])
	}
	t.Logf("WER on %d stereo 8 kHz calls from ../shared VCTK speech (tiny.en):\n%s", len(calls), b.String())
	pc, mm := wer["per-channel"], wer["mono mix"]
	if pc["handler"].errs*2 > pc["handler"].words || pc["caller"].errs*2 > pc["caller"].words {
		t.Errorf("per-channel WER over 50%% on a side: words given to the wrong speaker")
	}
	if pc["handler"].errs+pc["caller"].errs > mm["handler"].errs+mm["caller"].errs {
		t.Errorf("per-channel transcription made more per-speaker errors than the mono mix")
	}
}
