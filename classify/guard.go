package classify

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/callscribe/callscribe/transcribe"
)

// ErrGuardFailed is returned (wrapped) when rules turn a labelled clinical
// call administrative: such rules must never be used, because that label
// leads to deletion.
var ErrGuardFailed = errors.New("classification rules fail the labelled-call guard")

// LabelledCall is one call of a labelled folder: NAME.json with at least
// "label" (administrative or clinical), beside NAME.txt, its reference
// transcript.
type LabelledCall struct {
	Set   string // the folder's base name
	ID    string
	Label Label
	Hard  bool
	Text  string
	// Transcript, when set, is a stored transcript of the call's audio
	// (transcribe.Transcript JSON), classified as well as the text.
	Transcript *transcribe.Transcript
}

// LoadLabelled reads the labelled calls of dir, sorted by ID. With
// transcripts non-empty it also reads transcripts/ID.json where present.
func LoadLabelled(dir, transcripts string) ([]LabelledCall, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	set := filepath.Base(filepath.Clean(dir))
	var calls []LabelledCall
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var meta struct {
			Label Label `json:"label"`
			Hard  bool  `json:"hard"`
		}
		if err := json.Unmarshal(data, &meta); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		switch meta.Label {
		case Administrative, Clinical:
		case "":
			continue // not a call's label file
		default:
			return nil, fmt.Errorf("%s: label %q: want %s or %s", name, meta.Label, Administrative, Clinical)
		}
		id := strings.TrimSuffix(filepath.Base(name), ".json")
		text, err := os.ReadFile(filepath.Join(dir, id+".txt"))
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s is labelled but %s is missing", name, id+".txt")
		}
		if err != nil {
			return nil, fmt.Errorf("%s is labelled but its reference transcript is unreadable: %w", name, err)
		}
		call := LabelledCall{Set: set, ID: id, Label: meta.Label, Hard: meta.Hard, Text: string(text)}
		if transcripts != "" {
			data, err := os.ReadFile(filepath.Join(transcripts, id+".json"))
			switch {
			case err == nil:
				var tr transcribe.Transcript
				if err := json.Unmarshal(data, &tr); err != nil {
					return nil, fmt.Errorf("transcript of %s: %w", id, err)
				}
				call.Transcript = &tr
			case !errors.Is(err, os.ErrNotExist):
				return nil, err
			}
		}
		calls = append(calls, call)
	}
	if len(calls) == 0 {
		return nil, fmt.Errorf("no labelled calls in %s (want NAME.json with a \"label\" beside NAME.txt)", dir)
	}
	slices.SortFunc(calls, func(a, b LabelledCall) int { return strings.Compare(a.ID, b.ID) })
	return calls, nil
}

// Source says what a CallResult classified.
const (
	SourceText       = "reference text"
	SourceTranscript = "stored transcript"
)

// CallResult is one labelled call as the rules decided it.
type CallResult struct {
	Set, ID, Source string
	Truth           Label
	Hard            bool
	Decision        Decision
}

// SetScore counts one set's calls (from one source) by truth and label.
type SetScore struct {
	Set, Source string
	// Counts[truth][label]
	Counts map[Label]map[Label]int
}

// Total is the number of calls with this true label.
func (s SetScore) Total(truth Label) int {
	n := 0
	for _, v := range s.Counts[truth] {
		n += v
	}
	return n
}

// Rate is the share of calls with true label truth that were labelled got.
func (s SetScore) Rate(truth, got Label) float64 {
	if t := s.Total(truth); t > 0 {
		return float64(s.Counts[truth][got]) / float64(t)
	}
	return 0
}

// CheckReport is the outcome of running rules over labelled calls.
type CheckReport struct {
	RulesVersion  string
	Sets          []SetScore
	Misclassified []CallResult
}

// Check classifies every call (its reference text, and its stored
// transcript where there is one) and scores them by set.
func Check(c *Classifier, calls []LabelledCall) CheckReport {
	rep := CheckReport{RulesVersion: c.Version()}
	score := func(set, source string) *SetScore {
		for i := range rep.Sets {
			if rep.Sets[i].Set == set && rep.Sets[i].Source == source {
				return &rep.Sets[i]
			}
		}
		rep.Sets = append(rep.Sets, SetScore{Set: set, Source: source, Counts: map[Label]map[Label]int{
			Administrative: {}, Clinical: {},
		}})
		return &rep.Sets[len(rep.Sets)-1]
	}
	add := func(call LabelledCall, source string, d Decision) {
		score(call.Set, source).Counts[call.Label][d.Label]++
		if d.Label != call.Label {
			rep.Misclassified = append(rep.Misclassified, CallResult{Set: call.Set, ID: call.ID, Source: source, Truth: call.Label, Hard: call.Hard, Decision: d})
		}
	}
	for _, call := range calls {
		add(call, SourceText, c.ClassifyText(call.Text))
		if call.Transcript != nil {
			add(call, SourceTranscript, c.Classify(call.Transcript))
		}
	}
	return rep
}

// ClinicalAsAdministrative lists the clinical calls the rules labelled
// administrative: the one error that must never happen.
func (r CheckReport) ClinicalAsAdministrative() []CallResult {
	var out []CallResult
	for _, m := range r.Misclassified {
		if m.Truth == Clinical && m.Decision.Label == Administrative {
			out = append(out, m)
		}
	}
	return out
}

// Err is nil when no clinical call was labelled administrative; otherwise
// it names the calls and the rules that fired in them (call IDs and rule
// IDs only, never transcript text, so it can be logged).
func (r CheckReport) Err() error {
	bad := r.ClinicalAsAdministrative()
	if len(bad) == 0 {
		return nil
	}
	parts := make([]string, len(bad))
	for i, m := range bad {
		parts[i] = fmt.Sprintf("%s/%s (%s; rules fired: %s)", m.Set, m.ID, m.Source, strings.Join(m.Decision.FiredRules(), ", "))
	}
	return fmt.Errorf("%w: rules %s label %d clinical call(s) administrative: %s", ErrGuardFailed, r.RulesVersion, len(bad), strings.Join(parts, "; "))
}

// FiredRules lists the IDs of the rules that matched, in order of first
// hit, suppressed ones as "rule (suppressed by context)".
func (d Decision) FiredRules() []string {
	var out []string
	for _, h := range d.Hits {
		id := h.RuleID
		if h.Suppressed {
			id += " (suppressed by " + h.SuppressedBy + ")"
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		out = append(out, "none")
	}
	return out
}

// Guard returns a check for Reloader.SetGuard: it refuses rules that label
// any of calls' clinical calls administrative.
func Guard(calls []LabelledCall) func(*Classifier) error {
	return func(c *Classifier) error { return Check(c, calls).Err() }
}
