// Package call is what one recorded call is, with no transport in it: its
// metadata and how it is checked, its states and a worker's stages. Every
// package shares these types; only pipeline knows how they travel on NATS.
package call

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxMetaBytes bounds a call's metadata document. Metadata is a handful of
// short fields; anything near this size is a mistake or an attack, and it
// also travels as a NATS message, so it must stay well under max_payload.
const MaxMetaBytes = 64 << 10

// Field limits for Meta. They are generous for real telephony data and
// small enough that a broken exporter cannot push kilobytes into every log
// line, subject or key that carries them.
const (
	maxLineLen     = 64
	maxHandlerLen  = 128
	maxCallerLen   = 32
	maxChannels    = 8
	maxSpeakerLen  = 32
	nhsNumberDigit = 10
)

// IDPattern is what a call ID may look like. The ID becomes a NATS subject
// token (calls.recorded.<id>), a KV key and an object name, so it excludes
// '.', which would split the subject into extra tokens, '*' and '>', which
// are subject wildcards, whitespace, and '/' or "..", which mean something to
// file paths. A leading letter or digit keeps it from looking like a flag.
// IDPattern is shown in errors naming a malformed ID.
var IDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)

// ErrInvalid marks metadata that fails validation; callers (the ingest
// command) can tell the submitter's mistake from an infrastructure failure.
var ErrInvalid = errors.New("invalid call metadata")

// Meta describes one recorded call. It is what ingest publishes on
// calls.recorded.<id> and what the worker hands to the Processor.
type Meta struct {
	// ID names the call everywhere: subject token, KV key, object name,
	// deduplication ID. See ValidID for the allowed form.
	ID        string    `json:"id"`
	StartedAt time.Time `json:"started_at"`
	// Line is the telephone line or queue the call came in on.
	Line string `json:"line,omitempty"`
	// HandlerID identifies the member of staff who took the call.
	HandlerID    string `json:"handler_id,omitempty"`
	CallerNumber string `json:"caller_number,omitempty"`
	// NHSNumber is the patient's 10-digit NHS number if known, digits only.
	NHSNumber string `json:"nhs_number,omitempty"`
	// RecordingConsent is true when the call was recorded with consent and
	// false when the caller objected. An objected-to recording is never
	// stored or transcribed. Parse requires the field to be present
	// so that a missing field is neither taken as consent nor as objection.
	RecordingConsent bool `json:"recording_consent"`
	// ChannelSpeakers labels the audio channels of a multi-channel recording
	// in channel order, e.g. ["handler", "caller"] for stereo.
	ChannelSpeakers []string `json:"channel_speakers,omitempty"`
}

// ValidID reports whether id can be used as a call ID.
func ValidID(id string) bool { return IDPattern.MatchString(id) }

// Validate checks the metadata and reports every problem at once, so a
// submitter can fix a record in one go. The error wraps ErrInvalid.
func (m Meta) Validate() error {
	var problems []string
	bad := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf(format, args...).Error())
	}
	if !ValidID(m.ID) {
		bad("id %q: must match %s", Truncate(m.ID, 40), IDPattern)
	}
	if m.StartedAt.IsZero() {
		bad("started_at: missing")
	}
	checkText := func(field, v string, max int) {
		if err := CheckPrintable(v, max); err != nil {
			bad("%s: %w", field, err)
		}
	}
	checkText("line", m.Line, maxLineLen)
	checkText("handler_id", m.HandlerID, maxHandlerLen)
	checkText("caller_number", m.CallerNumber, maxCallerLen)
	if m.NHSNumber != "" {
		if err := checkNHSNumber(m.NHSNumber); err != nil {
			bad("nhs_number: %w", err)
		}
	}
	if len(m.ChannelSpeakers) > maxChannels {
		bad("channel_speakers: %d channels, at most %d", len(m.ChannelSpeakers), maxChannels)
	}
	for i, s := range m.ChannelSpeakers {
		if s == "" {
			bad("channel_speakers[%d]: empty", i)
			continue
		}
		checkText(fmt.Sprintf("channel_speakers[%d]", i), s, maxSpeakerLen)
	}
	if len(problems) == 0 {
		return nil
	}
	// One line, not errors.Join's newlines, so it stays one log field.
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
}

// metaWire mirrors Meta for strict decoding: RecordingConsent is a
// pointer so that an absent field can be told from false.
type metaWire struct {
	ID               string    `json:"id"`
	StartedAt        time.Time `json:"started_at"`
	Line             string    `json:"line"`
	HandlerID        string    `json:"handler_id"`
	CallerNumber     string    `json:"caller_number"`
	NHSNumber        string    `json:"nhs_number"`
	RecordingConsent *bool     `json:"recording_consent"`
	ChannelSpeakers  []string  `json:"channel_speakers"`
}

// Parse reads one JSON call record strictly: at most
// MaxMetaBytes, no unknown fields (a misspelt "recording_consent" must not
// quietly become an objection and purge the audio), recording_consent
// present, nothing after the object, and the result validated.
func Parse(r io.Reader) (Meta, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxMetaBytes+1))
	if err != nil {
		return Meta{}, fmt.Errorf("read call metadata: %w", err)
	}
	if len(data) > MaxMetaBytes {
		return Meta{}, fmt.Errorf("%w: larger than %d bytes", ErrInvalid, MaxMetaBytes)
	}
	return Decode(data)
}

// Decode is Parse for bytes already in memory (a message).
func Decode(data []byte) (Meta, error) {
	if len(data) > MaxMetaBytes {
		return Meta{}, fmt.Errorf("%w: larger than %d bytes", ErrInvalid, MaxMetaBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var w metaWire
	if err := dec.Decode(&w); err != nil {
		return Meta{}, fmt.Errorf("%w: decode JSON: %w", ErrInvalid, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Meta{}, fmt.Errorf("%w: unexpected data after the JSON object", ErrInvalid)
	}
	if w.RecordingConsent == nil {
		return Meta{}, fmt.Errorf("%w: recording_consent: missing (true = recorded with consent, false = caller objected)", ErrInvalid)
	}
	m := Meta{
		ID:               w.ID,
		StartedAt:        w.StartedAt,
		Line:             w.Line,
		HandlerID:        w.HandlerID,
		CallerNumber:     w.CallerNumber,
		NHSNumber:        w.NHSNumber,
		RecordingConsent: *w.RecordingConsent,
		ChannelSpeakers:  w.ChannelSpeakers,
	}
	if err := m.Validate(); err != nil {
		return Meta{}, err
	}
	return m, nil
}

// CheckPrintable rejects over-long values, invalid UTF-8, control
// characters (newlines, escapes), which have no place in these fields and
// would corrupt logs and downstream CSV exports, and invisible characters
// (see invisible), which make a value read as something it is not.
func CheckPrintable(v string, max int) error {
	if !utf8.ValidString(v) {
		return errors.New("not valid UTF-8")
	}
	if n := utf8.RuneCountInString(v); n > max {
		return fmt.Errorf("%d characters, at most %d", n, max)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return fmt.Errorf("control character %U", r)
		}
		if why := invisible(r); why != "" {
			return fmt.Errorf("%s %U: it changes how the value reads without being seen", why, r)
		}
	}
	return nil
}

// invisible names the kind of a character that is not drawn but changes
// how text around it is drawn or compared, "" for others. A right-to-left
// override (U+202E) makes a line name read "niam-aps" as "spa-main"; a
// zero-width space (U+200B) makes two handler IDs that look the same
// differ. Metadata is shown to clinicians and matched by staff, so such
// characters are refused at ingest rather than escaped on every page.
// Format characters (Cf: bidi controls, isolates, zero-width joiners, the
// BOM), line and paragraph separators (U+2028, U+2029) and private-use
// characters (whose look depends on the font) are refused.
func invisible(r rune) string {
	switch {
	case unicode.Is(unicode.Cf, r):
		return "format (invisible or direction) character"
	case unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r):
		return "line or paragraph separator"
	case unicode.Is(unicode.Co, r):
		return "private-use character"
	}
	return ""
}

// checkNHSNumber applies the NHS number modulus-11 check. A mistyped NHS
// number would attach a transcript to the wrong patient's record, so it is
// refused at the door rather than discovered later.
func checkNHSNumber(s string) error {
	if len(s) != nhsNumberDigit {
		return fmt.Errorf("want %d digits, got %d characters", nhsNumberDigit, len(s))
	}
	sum := 0
	for i := 0; i < nhsNumberDigit; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return fmt.Errorf("character %d is not a digit", i+1)
		}
		if i < 9 {
			sum += int(c-'0') * (10 - i)
		}
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	if check == 10 || check != int(s[9]-'0') {
		return errors.New("check digit does not match")
	}
	return nil
}

func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
