package classify

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// defaultRules is the rules file shipped with the binary, so that
// classification works without configuration and a deployment can still
// replace the lexicon (a new version) without a rebuild.
//
//go:embed rules/default.yaml
var defaultRules []byte

// ErrInvalidRules is wrapped by every error about the content of a rules
// file, so callers can tell a bad rules file from a missing one.
var ErrInvalidRules = errors.New("invalid classification rules")

// ruleFile is the YAML layout of a rules file.
type ruleFile struct {
	Version  string         `yaml:"version"`
	Decision decisionConfig `yaml:"decision"`
	Quality  qualityConfig  `yaml:"quality"`
	Rules    []ruleSpec     `yaml:"rules"`
	Contexts []contextSpec  `yaml:"contexts"`
	// Classes are named word classes ("service": team, line, nurse...). A
	// term or context phrase may hold {name}; it stands for every member of
	// the class, so one pattern covers "put me through to the mental health
	// team / line / service". Expanded when the file loads: matching costs
	// what the written-out phrases would.
	Classes map[string][]string `yaml:"classes"`
}

// decisionConfig holds the thresholds that turn evidence into a label.
type decisionConfig struct {
	// ClinicalThreshold is the clinical score at or above which a call is
	// clinical; a strong term weighs 1, so one is enough.
	ClinicalThreshold float64 `yaml:"clinical_threshold"`
	// MinAdminScore is the least administrative evidence a call without
	// clinical evidence needs to be labelled administrative: the weights of
	// the distinct administrative terms heard in trustworthy segments,
	// added up (a distinctive term weighs 1, an everyday one 0.5). With less
	// the call goes to a person. Deletion needs positive evidence that the
	// call is administrative, not only the absence of clinical words: a
	// call in which the lexicon recognises almost nothing is more likely a
	// gap in the lexicon, or a transcript Whisper got wrong, than an
	// administrative call. 0 turns this off.
	MinAdminScore float64 `yaml:"min_admin_score"`
	// TolerantWeight scales the weight of a misspelling match, which may be
	// a different word.
	TolerantWeight float64 `yaml:"tolerant_weight"`
	// TolerantMinLength is the shortest term (in letters) matched with
	// misspellings; shorter names sit too close to everyday words.
	TolerantMinLength int `yaml:"tolerant_min_length"`
}

// qualityConfig holds the limits past which a transcript is not trusted.
type qualityConfig struct {
	// MinWords: a shorter transcript says too little to be administrative.
	MinWords int `yaml:"min_words"`
	// MinAvgLogProb and MaxNoSpeechProb make a segment doubtful: Whisper
	// barely understood it (average token log-probability below the
	// limit, whisper.cpp's own fallback threshold is -1) or judged it
	// probably not speech (no-speech probability above the limit,
	// whisper.cpp's threshold is 0.6), so its text may be wrong or invented.
	MinAvgLogProb   float64 `yaml:"min_avg_logprob"`
	MaxNoSpeechProb float64 `yaml:"max_no_speech_prob"`
	// MaxDoubtfulShare is the largest share of words in doubtful segments
	// that still lets a call be administrative.
	MaxDoubtfulShare float64 `yaml:"max_doubtful_share"`
	// MinCallAvgLogProb is the lowest average log-probability over the
	// whole call that still lets it be administrative.
	MinCallAvgLogProb  float64 `yaml:"min_call_avg_logprob"`
	MaxRepetitionRatio float64 `yaml:"max_repetition_ratio"`
	MaxRepeatRunWords  int     `yaml:"max_repeat_run_words"`
	RepetitionNGram    int     `yaml:"repetition_ngram"`
}

// ruleSpec is one lexicon rule as written in YAML.
type ruleSpec struct {
	ID       string   `yaml:"id"`
	Category string   `yaml:"category"`
	Class    string   `yaml:"class"`
	Weight   *float64 `yaml:"weight"`
	Match    string   `yaml:"match"`
	Tolerant bool     `yaml:"tolerant"`
	// Mention marks a clinical rule whose terms name a service, profession
	// or process ("police", "pharmacy", "care plan"): naming one is not
	// clinical information, so its weight counts only in a call that has
	// other clinical evidence; alone it is reported and does not make the
	// call uncertain.
	Mention bool     `yaml:"mention"`
	Terms   []string `yaml:"terms"`
}

// contextSpec is one context rule (idiom, place name, homonym) as written in
// YAML: any clinical hit that lies inside one of its phrases is suppressed.
type contextSpec struct {
	ID    string   `yaml:"id"`
	Kind  string   `yaml:"kind"`
	Match string   `yaml:"match"`
	Terms []string `yaml:"terms"`
	// fromClass marks, by term, the phrases expanded from a {class}.
	fromClass []bool
}

// defaultConfig is used for any setting a rules file leaves out. The quality
// limits follow whisper.cpp's own defaults (log-probability threshold -1.0,
// no-speech threshold 0.6).
func defaultConfig() ruleFile {
	return ruleFile{
		Decision: decisionConfig{
			ClinicalThreshold: 1.0,
			MinAdminScore:     1.5,
			TolerantWeight:    0.5,
			TolerantMinLength: 8,
		},
		Quality: qualityConfig{
			MinWords:           5,
			MinAvgLogProb:      -1.0,
			MaxNoSpeechProb:    0.6,
			MaxDoubtfulShare:   0.25,
			MinCallAvgLogProb:  -0.8,
			MaxRepetitionRatio: 0.4,
			MaxRepeatRunWords:  30,
			RepetitionNGram:    4,
		},
	}
}

// Default returns a classifier built from the embedded rules file.
func Default() (*Classifier, error) {
	return Parse("embedded rules/default.yaml", defaultRules)
}

// Load reads a rules file and builds a classifier from it.
func Load(path string) (*Classifier, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading classification rules: %w", err)
	}
	return Parse(path, data)
}

// Parse builds a classifier from the YAML text of a rules file; name is used
// in error messages.
func Parse(name string, data []byte) (*Classifier, error) {
	rf := defaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&rf); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %s: file is empty", ErrInvalidRules, name)
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidRules, name, err)
	}
	if err := rf.expandClasses(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidRules, name, err)
	}
	if err := rf.validate(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidRules, name, err)
	}
	c, err := build(rf)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidRules, name, err)
	}
	return c, nil
}

// validate checks everything that can be checked without building the
// matcher: settings in range, IDs unique, classes and match modes known,
// terms present.
func (rf *ruleFile) validate() error {
	if strings.TrimSpace(rf.Version) == "" {
		return errors.New("version is missing")
	}
	d, q := rf.Decision, rf.Quality
	switch {
	case d.ClinicalThreshold <= 0:
		return fmt.Errorf("decision.clinical_threshold %v must be above 0", d.ClinicalThreshold)
	case d.TolerantWeight < 0 || d.TolerantWeight > 1:
		return fmt.Errorf("decision.tolerant_weight %v must be between 0 and 1", d.TolerantWeight)
	case d.MinAdminScore < 0:
		return fmt.Errorf("decision.min_admin_score %v must not be negative", d.MinAdminScore)
	case d.TolerantMinLength < 5:
		return fmt.Errorf("decision.tolerant_min_length %d must be at least 5", d.TolerantMinLength)
	case q.MinWords < 0:
		return fmt.Errorf("quality.min_words %d must not be negative", q.MinWords)
	case q.MinAvgLogProb >= 0:
		return fmt.Errorf("quality.min_avg_logprob %v must be below 0", q.MinAvgLogProb)
	case q.MaxNoSpeechProb <= 0 || q.MaxNoSpeechProb > 1:
		return fmt.Errorf("quality.max_no_speech_prob %v must be in (0, 1]", q.MaxNoSpeechProb)
	case q.MaxDoubtfulShare < 0 || q.MaxDoubtfulShare > 1:
		return fmt.Errorf("quality.max_doubtful_share %v must be in [0, 1]", q.MaxDoubtfulShare)
	case q.MinCallAvgLogProb >= 0:
		return fmt.Errorf("quality.min_call_avg_logprob %v must be below 0", q.MinCallAvgLogProb)
	case q.MaxRepetitionRatio <= 0 || q.MaxRepetitionRatio > 1:
		return fmt.Errorf("quality.max_repetition_ratio %v must be in (0, 1]", q.MaxRepetitionRatio)
	case q.MaxRepeatRunWords < q.RepetitionNGram:
		return fmt.Errorf("quality.max_repeat_run_words %d must be at least repetition_ngram (%d)", q.MaxRepeatRunWords, q.RepetitionNGram)
	case q.RepetitionNGram < 2:
		return fmt.Errorf("quality.repetition_ngram %d must be at least 2", q.RepetitionNGram)
	case len(rf.Rules) == 0:
		return errors.New("no rules")
	}
	seen := map[string]string{}
	claim := func(id, where string) error {
		if strings.TrimSpace(id) == "" {
			return fmt.Errorf("%s has no id", where)
		}
		if prev, dup := seen[id]; dup {
			return fmt.Errorf("%s: duplicate id %q (also %s)", where, id, prev)
		}
		seen[id] = where
		return nil
	}
	for i, r := range rf.Rules {
		where := fmt.Sprintf("rules[%d]", i)
		if err := claim(r.ID, where); err != nil {
			return err
		}
		where = fmt.Sprintf("rule %q", r.ID)
		switch Label(r.Class) {
		case Clinical, Administrative:
		default:
			return fmt.Errorf("%s: unknown class %q (want %q or %q)", where, r.Class, Clinical, Administrative)
		}
		if strings.TrimSpace(r.Category) == "" {
			return fmt.Errorf("%s: category is missing", where)
		}
		if r.Mention && Label(r.Class) != Clinical {
			return fmt.Errorf("%s: mention applies to clinical rules only", where)
		}
		if r.Weight != nil && (*r.Weight <= 0 || *r.Weight > 10) {
			return fmt.Errorf("%s: weight %v must be in (0, 10]", where, *r.Weight)
		}
		if err := checkTerms(where, r.Match, r.Terms); err != nil {
			return err
		}
	}
	for i, cx := range rf.Contexts {
		where := fmt.Sprintf("contexts[%d]", i)
		if err := claim(cx.ID, where); err != nil {
			return err
		}
		where = fmt.Sprintf("context %q", cx.ID)
		switch cx.Kind {
		case "idiom", "place", "homonym", "service":
		default:
			return fmt.Errorf("%s: unknown kind %q (want idiom, place, homonym or service)", where, cx.Kind)
		}
		if err := checkTerms(where, cx.Match, cx.Terms); err != nil {
			return err
		}
	}
	return nil
}

// checkTerms rejects an unknown match mode, an empty term list and terms that
// hold no word once normalised (which could never match).
func checkTerms(where, match string, terms []string) error {
	switch match {
	case "", "stem", "exact":
	default:
		return fmt.Errorf("%s: unknown match %q (want stem or exact)", where, match)
	}
	if len(terms) == 0 {
		return fmt.Errorf("%s: no terms", where)
	}
	for j, term := range terms {
		if len(tokenise(term)) == 0 {
			return fmt.Errorf("%s: term %d (%q) has no words", where, j, term)
		}
	}
	return nil
}

// maxExpansions bounds the phrases one pattern may expand to, so that a
// slip in a rules file (three large classes in one term) is refused, not a
// matcher of millions of phrases.
const maxExpansions = 2000

// expandClasses replaces every term that names a class ({name}) by the
// phrases it stands for. A term's expansions that repeat are kept once.
func (rf *ruleFile) expandClasses() error {
	for name, members := range rf.Classes {
		if strings.TrimSpace(name) == "" || strings.ContainsAny(name, "{} ") {
			return fmt.Errorf("class %q: a class name is one word without braces", name)
		}
		if len(members) == 0 {
			return fmt.Errorf("class %q: no members", name)
		}
		for _, m := range members {
			if strings.ContainsAny(m, "{}") {
				return fmt.Errorf("class %q: member %q names a class; classes do not nest", name, m)
			}
		}
	}
	var fromClass []bool
	expand := func(where string, terms []string) ([]string, error) {
		var out []string
		fromClass = fromClass[:0]
		seen := map[string]bool{}
		for _, t := range terms {
			if !strings.Contains(t, "{") {
				out = append(out, t)
				fromClass = append(fromClass, false)
				continue
			}
			phrases := []string{""}
			rest := t
			for rest != "" {
				open := strings.IndexByte(rest, '{')
				if open < 0 {
					for i := range phrases {
						phrases[i] += rest
					}
					break
				}
				end := strings.IndexByte(rest[open:], '}')
				if end < 0 {
					return nil, fmt.Errorf("%s: term %q: unclosed {", where, t)
				}
				name := rest[open+1 : open+end]
				members, ok := rf.Classes[name]
				if !ok {
					return nil, fmt.Errorf("%s: term %q: unknown class {%s}", where, t, name)
				}
				var next []string
				for _, p := range phrases {
					for _, m := range members {
						next = append(next, p+rest[:open]+m)
					}
				}
				if len(next) > maxExpansions {
					return nil, fmt.Errorf("%s: term %q expands to more than %d phrases", where, t, maxExpansions)
				}
				phrases, rest = next, rest[open+end+1:]
			}
			for _, p := range phrases {
				key := strings.Join(strings.Fields(strings.ToLower(p)), " ")
				if !seen[key] {
					seen[key] = true
					out = append(out, p)
					fromClass = append(fromClass, true)
				}
			}
		}
		return out, nil
	}
	var err error
	for i := range rf.Rules {
		if rf.Rules[i].Terms, err = expand(fmt.Sprintf("rule %q", rf.Rules[i].ID), rf.Rules[i].Terms); err != nil {
			return err
		}
	}
	for i := range rf.Contexts {
		if rf.Contexts[i].Terms, err = expand(fmt.Sprintf("context %q", rf.Contexts[i].ID), rf.Contexts[i].Terms); err != nil {
			return err
		}
		rf.Contexts[i].fromClass = slices.Clone(fromClass)
	}
	return nil
}
