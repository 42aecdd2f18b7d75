package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/process"
)

// The goals of issue 3 on a labelled folder. For clinical calls the goal
// is that none is labelled administrative (deleted): clinical and uncertain
// both keep the call, so the measure is the share of clinical calls not
// labelled administrative; strict clinical recall (labelled clinical) is
// reported beside it. Administrative recall counts only administrative
// labels: an uncertain call costs a person's time.
const (
	goalClinicalKept     = 1.00 // from the text and through the audio
	goalAdminRecallText  = 0.95
	goalAdminRecallAudio = 0.90
)

// The two ways eval classifies each call.
const (
	modeText  = "reference_text"
	modeAudio = "audio"
)

var evalLabels = []classify.Label{classify.Administrative, classify.Clinical, classify.Uncertain}

// labelledCall is one call of a labelled folder as classify reads it
// (call-NNNN.json with at least "label", call-NNNN.txt the reference
// transcript), with the folder its recording call-NNNN.wav is in.
type labelledCall struct {
	classify.LabelledCall
	dir string
}

func (c labelledCall) path(ext string) string { return filepath.Join(c.dir, c.ID+ext) }

// evalReport is what eval prints with -json.
type evalReport struct {
	Dir          string       `json:"dir"`
	Calls        int          `json:"calls"`
	RulesVersion string       `json:"rules_version"`
	Model        string       `json:"model,omitempty"`
	Prompt       string       `json:"prompt,omitempty"`
	Modes        []modeReport `json:"modes"`
	GoalsMet     bool         `json:"goals_met"`
}

// modeReport is one way of classifying the calls: from the reference text
// or through the audio.
type modeReport struct {
	Mode string `json:"mode"`
	// Confusion counts calls by true label, then by predicted label.
	Confusion     map[classify.Label]map[classify.Label]int `json:"confusion"`
	Classes       []classStats                              `json:"classes"`
	Uncertain     int                                       `json:"uncertain"`
	UncertainRate float64                                   `json:"uncertain_rate"`
	// ClinicalAsAdministrative is the costly error: clinical calls that
	// would be deleted.
	ClinicalAsAdministrative int          `json:"clinical_as_administrative"`
	Goals                    []goalResult `json:"goals"`
	Misclassified            []callResult `json:"misclassified"`
	Results                  []callResult `json:"results"`
	Seconds                  float64      `json:"seconds"`
}

// classStats is recall and precision of one true class; Recall counts only
// calls given exactly that label.
type classStats struct {
	Class       classify.Label `json:"class"`
	Total       int            `json:"total"`
	Correct     int            `json:"correct"`
	Predicted   int            `json:"predicted"`
	Recall      float64        `json:"recall"`
	Precision   float64        `json:"precision"`
	Uncertain   int            `json:"uncertain"`
	Opposite    int            `json:"opposite"` // labelled the other definite class
	NotOpposite float64        `json:"not_opposite_rate"`
}

type goalResult struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Target float64 `json:"target"`
	Met    bool    `json:"met"`
}

type callResult struct {
	ID       string              `json:"id"`
	Truth    classify.Label      `json:"truth"`
	Hard     bool                `json:"hard,omitempty"`
	Label    classify.Label      `json:"label"`
	Decision classify.Decision   `json:"decision"`
	Times    *process.StageTimes `json:"stage_times,omitempty"`
	Silent   bool                `json:"silent,omitempty"`
}

func cmdEval(ctx context.Context, args []string, stdout io.Writer) error {
	var ef engineFlags
	fs := newFlags("eval", "DIR [flags]")
	ef.register(fs)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	textOnly := fs.Bool("text-only", false, "classify the reference transcripts only, without Whisper")
	goals := fs.Bool("goals", false, "exit with status 1 when the goals (issue 3) are not met")
	if err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{fmt.Errorf("want one labelled folder (call-NNNN.wav, .json with \"label\", .txt), got %d arguments", fs.NArg())}
	}
	dir := fs.Arg(0)
	calls, err := readLabelledCalls(dir, !*textOnly)
	if err != nil {
		return err
	}
	c, err := ef.classifier()
	if err != nil {
		return err
	}
	logger := newLogger(os.Stderr)
	rep := evalReport{Dir: dir, Calls: len(calls), RulesVersion: c.Version(), Prompt: ef.prompt}

	start := time.Now()
	var results []callResult
	for _, call := range calls {
		d := c.ClassifyText(call.Text)
		results = append(results, callResult{ID: call.ID, Truth: call.Label, Hard: call.Hard, Label: d.Label, Decision: d})
	}
	rep.Modes = append(rep.Modes, summarise(modeText, results, time.Since(start), goalAdminRecallText))

	if !*textOnly {
		engine, err := ef.openEngine(1, &logger)
		if err != nil {
			return err
		}
		defer engine.Close()
		rep.Model = engine.Model()
		logger.Info().Str("model", engine.Model()).Int64("load_ms", engine.LoadTime().Milliseconds()).Int("calls", len(calls)).
			Msg("model loaded; transcribing the labelled calls one at a time")
		p := ef.newProcessor(engine, c)
		start = time.Now()
		results = results[:0:0]
		for i, call := range calls {
			out, err := transcribeFile(ctx, p, call.path(".wav"))
			if err != nil {
				return fmt.Errorf("%s: %w", call.ID, err)
			}
			times := out.Times
			results = append(results, callResult{ID: call.ID, Truth: call.Label, Hard: call.Hard,
				Label: out.Decision.Label, Decision: out.Decision, Times: &times, Silent: out.Silent})
			// Labels and timings only: the transcript is health data.
			logger.Info().Str("call", call.ID).Int("n", i+1).Int("of", len(calls)).
				Str("truth", string(call.Label)).Str("label", string(out.Decision.Label)).
				Float64("audio_s", out.Transcript.Duration.Seconds()).Int64("transcribe_ms", out.Times.Transcribe.Milliseconds()).Msg("evaluated")
		}
		rep.Modes = append(rep.Modes, summarise(modeAudio, results, time.Since(start), goalAdminRecallAudio))
	}

	rep.GoalsMet = true
	for _, m := range rep.Modes {
		for _, g := range m.Goals {
			rep.GoalsMet = rep.GoalsMet && g.Met
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := writeEvalText(stdout, rep); err != nil {
		return err
	}
	if *goals && !rep.GoalsMet {
		var failed []string
		for _, m := range rep.Modes {
			for _, g := range m.Goals {
				if !g.Met {
					failed = append(failed, fmt.Sprintf("%s: %s %.2f (target %.2f)", m.Mode, g.Name, g.Value, g.Target))
				}
			}
		}
		return fmt.Errorf("goals not met: %s", strings.Join(failed, "; "))
	}
	return nil
}

// readLabelledCalls finds the labelled calls in dir (classify.LoadLabelled:
// every call-*.json with a label, beside its reference transcript) and,
// when withAudio, checks each recording is there too.
func readLabelledCalls(dir string, withAudio bool) ([]labelledCall, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("labelled folder: %w", err)
	}
	loaded, err := classify.LoadLabelled(dir, "")
	if err != nil {
		return nil, err
	}
	calls := make([]labelledCall, 0, len(loaded))
	for _, lc := range loaded {
		call := labelledCall{LabelledCall: lc, dir: dir}
		if withAudio {
			if _, err := os.Stat(call.path(".wav")); err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil, fmt.Errorf("%s is labelled but %s is missing", call.path(".json"), call.ID+".wav")
				}
				return nil, err
			}
		}
		calls = append(calls, call)
	}
	return calls, nil
}

// summarise counts one mode's results against the truth and checks goals.
func summarise(mode string, results []callResult, took time.Duration, adminRecallGoal float64) modeReport {
	m := modeReport{Mode: mode, Confusion: map[classify.Label]map[classify.Label]int{}, Results: results, Misclassified: []callResult{}, Seconds: took.Seconds()}
	for _, truth := range []classify.Label{classify.Administrative, classify.Clinical} {
		m.Confusion[truth] = map[classify.Label]int{}
		for _, l := range evalLabels {
			m.Confusion[truth][l] = 0
		}
	}
	for _, r := range results {
		m.Confusion[r.Truth][r.Label]++
		if r.Label == classify.Uncertain {
			m.Uncertain++
		}
		if r.Label != r.Truth {
			m.Misclassified = append(m.Misclassified, r)
		}
	}
	if len(results) > 0 {
		m.UncertainRate = float64(m.Uncertain) / float64(len(results))
	}
	m.ClinicalAsAdministrative = m.Confusion[classify.Clinical][classify.Administrative]
	for _, class := range []classify.Label{classify.Administrative, classify.Clinical} {
		other := classify.Clinical
		if class == classify.Clinical {
			other = classify.Administrative
		}
		s := classStats{Class: class, Correct: m.Confusion[class][class],
			Uncertain: m.Confusion[class][classify.Uncertain], Opposite: m.Confusion[class][other]}
		for _, n := range m.Confusion[class] {
			s.Total += n
		}
		for _, row := range m.Confusion {
			s.Predicted += row[class]
		}
		s.Recall, s.Precision = ratio(s.Correct, s.Total), ratio(s.Correct, s.Predicted)
		s.NotOpposite = ratio(s.Total-s.Opposite, s.Total)
		m.Classes = append(m.Classes, s)
	}
	admin, clin := m.Classes[0], m.Classes[1]
	m.Goals = []goalResult{
		{Name: "clinical calls not labelled administrative", Value: clin.NotOpposite, Target: goalClinicalKept},
		{Name: "administrative recall", Value: admin.Recall, Target: adminRecallGoal},
	}
	for i := range m.Goals {
		g := &m.Goals[i]
		g.Met = g.Value >= g.Target-1e-9
	}
	return m
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// writeEvalText prints the report for a person.
func writeEvalText(w io.Writer, rep evalReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "eval of %d labelled calls in %s, rules %s", rep.Calls, rep.Dir, rep.RulesVersion)
	if rep.Model != "" {
		fmt.Fprintf(&b, ", model %s", rep.Model)
	}
	if rep.Prompt != "" {
		fmt.Fprintf(&b, ", prompt %q", rep.Prompt)
	}
	b.WriteString("\n")
	for _, m := range rep.Modes {
		title := "reference text"
		if m.Mode == modeAudio {
			title = "through the audio (decode, whisper, classify)"
		}
		fmt.Fprintf(&b, "\n== %s: %d calls in %.1f s\n", title, len(m.Results), m.Seconds)
		fmt.Fprintf(&b, "%-16s", "true \\ label")
		for _, l := range evalLabels {
			fmt.Fprintf(&b, " %15s", l)
		}
		b.WriteString("\n")
		for _, truth := range []classify.Label{classify.Administrative, classify.Clinical} {
			fmt.Fprintf(&b, "%-16s", truth)
			for _, l := range evalLabels {
				fmt.Fprintf(&b, " %15d", m.Confusion[truth][l])
			}
			b.WriteString("\n")
		}
		for _, s := range m.Classes {
			fmt.Fprintf(&b, "%-15s recall %d/%d = %.2f, precision %d/%d = %.2f, uncertain %d, labelled the other class %d\n",
				s.Class, s.Correct, s.Total, s.Recall, s.Correct, s.Predicted, s.Precision, s.Uncertain, s.Opposite)
		}
		fmt.Fprintf(&b, "uncertain rate %d/%d = %.2f\n", m.Uncertain, len(m.Results), m.UncertainRate)
		for _, g := range m.Goals {
			verdict := "met"
			if !g.Met {
				verdict = "NOT MET"
			}
			fmt.Fprintf(&b, "goal: %s %.2f (target %.2f): %s\n", g.Name, g.Value, g.Target, verdict)
		}
		if len(m.Misclassified) == 0 {
			b.WriteString("misclassified: none\n")
		}
		for _, r := range m.Misclassified {
			hard := ""
			if r.Hard {
				hard = " (hard)"
			}
			fmt.Fprintf(&b, "\nmisclassified %s%s: %s labelled %s\n", r.ID, hard, r.Truth, r.Label)
			if err := r.Decision.WriteText(&b, "  "); err != nil {
				return err
			}
		}
	}
	verdict := "all goals met"
	if !rep.GoalsMet {
		verdict = "goals NOT met"
	}
	fmt.Fprintf(&b, "\n%s\n", verdict)
	_, err := io.WriteString(w, b.String())
	return err
}
