package classify

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/callscribe/callscribe/transcribe"
)

// devCallsDir holds the labelled synthetic calls shared by the project;
// dev2CallsDir 60 more, by another author.
const (
	devCallsDir  = "../../shared/calls/dev"
	dev2CallsDir = "../../shared/calls/dev2"
)

// holdoutFile lists the calls held out of rules development (issue 16),
// fixed by a seeded draw before any rule was changed.
const holdoutFile = "testdata/holdout.tsv"

type devCall struct {
	ID    string `json:"id"`
	Label Label  `json:"label"`
	Hard  bool   `json:"hard"`
	Turns []struct {
		Speaker string `json:"speaker"`
		Text    string `json:"text"`
	} `json:"turns"`
	dir string
}

func (c devCall) path(ext string) string { return filepath.Join(c.dir, c.ID+ext) }

// Which calls loadCalls returns.
const (
	partAll = iota
	partDev
	partHeldOut
)

func loadDevCalls(t *testing.T) []devCall { return loadCalls(t, devCallsDir, partAll) }

// loadCalls reads the labelled calls of dir, all of them or one side of
// the held-out split.
func loadCalls(t *testing.T, dir string, part int) []devCall {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "labels.csv"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("no labelled calls at %s", dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("reading labels.csv: %v", err)
	}
	held := map[string]bool{}
	if part != partAll {
		data, err := os.ReadFile(holdoutFile)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Split(line, "\t"); len(f) >= 2 && !strings.HasPrefix(line, "#") && f[0] == filepath.Base(dir) {
				held[f[1]] = true
			}
		}
	}
	var calls []devCall
	for _, row := range rows[1:] {
		if (part == partDev && held[row[0]]) || (part == partHeldOut && !held[row[0]]) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, row[0]+".json"))
		if err != nil {
			t.Fatal(err)
		}
		c := devCall{dir: dir}
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s.json: %v", row[0], err)
		}
		if string(c.Label) != row[1] {
			t.Fatalf("%s: label %q in JSON, %q in labels.csv", c.ID, c.Label, row[1])
		}
		calls = append(calls, c)
	}
	return calls
}

// confusion counts true labels against predicted ones.
type confusion map[Label]map[Label]int

func (m confusion) add(truth, got Label) {
	if m[truth] == nil {
		m[truth] = map[Label]int{}
	}
	m[truth][got]++
}

func (m confusion) String() string {
	var b strings.Builder
	cols := []Label{Administrative, Clinical, Uncertain}
	fmt.Fprintf(&b, "%-16s", "true \\ predicted")
	for _, c := range cols {
		fmt.Fprintf(&b, "%15s", c)
	}
	for _, truth := range []Label{Administrative, Clinical} {
		fmt.Fprintf(&b, "\n%-16s", truth)
		for _, c := range cols {
			fmt.Fprintf(&b, "%15d", m[truth][c])
		}
	}
	correct := m[Administrative][Administrative] + m[Clinical][Clinical]
	total, predAdmin := 0, 0
	for _, row := range m {
		for got, n := range row {
			total += n
			if got == Administrative {
				predAdmin += n
			}
		}
	}
	fmt.Fprintf(&b, "\naccuracy %d/%d = %.2f; clinical recall %d/%d; administrative precision ",
		correct, total, float64(correct)/float64(total), m[Clinical][Clinical], sumRow(m[Clinical]))
	if predAdmin > 0 {
		fmt.Fprintf(&b, "%d/%d = %.2f", m[Administrative][Administrative], predAdmin, float64(m[Administrative][Administrative])/float64(predAdmin))
	} else {
		b.WriteString("n/a")
	}
	return b.String()
}

func sumRow(row map[Label]int) int {
	n := 0
	for _, v := range row {
		n += v
	}
	return n
}

// TestDevCalls classifies every call of the development part of dev and
// dev2 (the held-out calls are left out; TestHeldOutCalls scores them),
// each from its reference transcript, from the same flattened as a transcriber without punctuation
// might write it ("i dont know"), and from its turns as speaker segments,
// and holds each to the goals of issue 3 on reference text: every clinical
// call labelled clinical (calling one administrative would delete clinical
// information; `callscribe eval` measures the same through Whisper), and
// administrative recall at least 0.95 (an uncertain call costs a person's
// time).
func TestDevCalls(t *testing.T) {
	c := defaultClassifier(t)
	calls := append(loadCalls(t, devCallsDir, partDev), loadCalls(t, dev2CallsDir, partDev)...)
	inputs := []struct {
		name string
		of   func(devCall) Decision
	}{
		{"reference transcript", func(dc devCall) Decision {
			text, err := os.ReadFile(dc.path(".txt"))
			if err != nil {
				t.Fatal(err)
			}
			return c.ClassifyText(string(text))
		}},
		{"lower case without punctuation", func(dc devCall) Decision {
			text, err := os.ReadFile(dc.path(".txt"))
			if err != nil {
				t.Fatal(err)
			}
			flat := strings.Map(func(r rune) rune {
				if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsSpace(r) {
					return unicode.ToLower(r)
				}
				if r == '-' {
					return ' '
				}
				return -1
			}, string(text))
			return c.ClassifyText(flat)
		}},
		{"turns as segments", func(dc devCall) Decision {
			tr := &transcribe.Transcript{}
			for i, turn := range dc.Turns {
				tr.Segments = append(tr.Segments, transcribe.Segment{
					Index: i, Text: turn.Text, Speaker: turn.Speaker,
					Start: time.Duration(i) * 5 * time.Second, End: time.Duration(i+1) * 5 * time.Second,
				})
			}
			return c.Classify(tr)
		}},
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			m := confusion{}
			for _, dc := range calls {
				d := in.of(dc)
				m.add(dc.Label, d.Label)
				if dc.Label == Clinical && d.Label != Clinical {
					t.Errorf("%s (clinical, hard=%v) labelled %s: %q", dc.ID, dc.Hard, d.Label, d.Reasons)
				}
				if dc.Label == Administrative && d.Label != Administrative {
					t.Logf("%s (administrative, hard=%v) labelled %s: %q", dc.ID, dc.Hard, d.Label, d.Reasons)
				}
			}
			t.Logf("%d calls, %s:\n%s", len(calls), in.name, m)
			if n := m[Clinical][Administrative]; n > 0 {
				t.Errorf("%d clinical calls labelled administrative", n)
			}
			adminRecall := float64(m[Administrative][Administrative]) / float64(sumRow(m[Administrative]))
			if adminRecall < 0.95 {
				t.Errorf("administrative recall %.2f is below 0.95: too many administrative calls would go to a person", adminRecall)
			}
		})
	}
}

// TestHeldOutCalls scores the held-out calls, which the rules were not
// tuned on. The one goal held here is the one that must never loosen: no
// clinical call labelled administrative. The rest is logged, for the
// record of how the rules generalise.
func TestHeldOutCalls(t *testing.T) {
	c := defaultClassifier(t)
	for _, dir := range []string{devCallsDir, dev2CallsDir} {
		m := confusion{}
		for _, dc := range loadCalls(t, dir, partHeldOut) {
			text, err := os.ReadFile(dc.path(".txt"))
			if err != nil {
				t.Fatal(err)
			}
			d := c.ClassifyText(string(text))
			m.add(dc.Label, d.Label)
			if dc.Label == Clinical && d.Label == Administrative {
				t.Errorf("%s: held-out clinical call labelled administrative: %q", dc.ID, d.Reasons)
			}
		}
		t.Logf("held-out part of %s, reference transcripts:\n%s", filepath.Base(dir), m)
	}
}
