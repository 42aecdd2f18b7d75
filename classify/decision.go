// Package classify sorts call transcripts into administrative, clinical or
// uncertain by explainable keyword rules. The label decides what happens to a
// patient's data (administrative calls are deleted after 4 weeks, clinical
// ones are proposed for the medical record), so every decision carries the
// evidence behind it.
package classify

import "time"

// Label is the outcome of classification.
type Label string

const (
	Administrative Label = "administrative"
	Clinical       Label = "clinical"
	// Uncertain calls are never deleted automatically: a person decides.
	Uncertain Label = "uncertain"
)

// Uncertainty says why a call is uncertain, so that what follows (a
// second transcription, the triage queue) can tell the cases apart.
type Uncertainty string

const (
	// UncertainQuality: the transcript cannot be relied on.
	UncertainQuality Uncertainty = "transcript-quality"
	// UncertainDoubtful: clinical evidence only from doubtful segments.
	UncertainDoubtful Uncertainty = "doubtful-evidence"
	// UncertainWeak: only weak clinical words (ones with common
	// non-clinical senses), below the threshold.
	UncertainWeak Uncertainty = "weak-evidence"
	// UncertainThin: no clinical terms, but too little administrative
	// evidence to show the call is administrative.
	UncertainThin Uncertainty = "thin-administrative-evidence"
)

// Decision is a label with everything that led to it.
type Decision struct {
	Label Label `json:"label"`
	// Uncertainty is set when Label is Uncertain.
	Uncertainty  Uncertainty `json:"uncertainty,omitempty"`
	Reasons      []string    `json:"reasons"`
	Hits         []Hit       `json:"hits"`
	Quality      Quality     `json:"quality"`
	RulesVersion string      `json:"rules_version"`
}

// Hit is one rule that matched the transcript.
type Hit struct {
	RuleID     string        `json:"rule_id"`
	Category   string        `json:"category"`
	Class      Label         `json:"class"` // Clinical or Administrative evidence
	Text       string        `json:"text"`  // the matched text as transcribed
	Term       string        `json:"term"`  // the lexicon term it matched
	Segment    int           `json:"segment"`
	Start      int           `json:"start"` // byte span in the segment's text
	End        int           `json:"end"`
	AudioStart time.Duration `json:"audio_start_ns"`
	AudioEnd   time.Duration `json:"audio_end_ns"`
	Speaker    string        `json:"speaker,omitempty"`
	Tolerant   bool          `json:"tolerant,omitempty"` // fuzzy match (e.g. misspelt drug name)
	// Doubtful marks a hit in a segment whose text may be invented (Whisper
	// judged it probably not speech) or was barely understood (low average
	// log-probability): it cannot make a call clinical on its own, but it
	// keeps the call from being called administrative.
	Doubtful   bool `json:"doubtful,omitempty"`
	Suppressed bool `json:"suppressed,omitempty"`
	// SuppressedBy names the context rule (idiom, place name) that cancelled the hit.
	SuppressedBy string `json:"suppressed_by,omitempty"`
}

// Quality summarises how far the transcript can be trusted.
type Quality struct {
	Segments        int     `json:"segments"`
	Words           int     `json:"words"`
	SpeechSeconds   float64 `json:"speech_seconds"`
	AvgLogProb      float64 `json:"avg_logprob"`
	MaxNoSpeechProb float64 `json:"max_no_speech_prob"`
	// DoubtfulWords counts the words in doubtful segments: those Whisper
	// judged probably not speech (no-speech probability above the limit)
	// or barely understood (average log-probability below the limit).
	// DoubtfulShare is their share of all words.
	DoubtfulWords   int     `json:"doubtful_words"`
	DoubtfulShare   float64 `json:"doubtful_share"`
	RepetitionRatio float64 `json:"repetition_ratio"`
	// LongestRepeatWords is the longest stretch of words made only of
	// phrases said before: a Whisper loop confined to part of a call (after
	// a silence, say) is too short to raise RepetitionRatio but shows here.
	LongestRepeatWords int `json:"longest_repeat_words"`
	// DoubtfulSegments are the indexes of the doubtful segments, so that a
	// reviewer can be shown which passages Whisper was unsure of, by the
	// same limits that weighed the evidence.
	DoubtfulSegments []int `json:"doubtful_segments,omitempty"`
}
