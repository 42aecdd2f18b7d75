// Package sar answers subject access requests: a patient asks the Data
// Protection Officer for copies of what the trust still holds about them.
// Export gathers, for one NHS number, every recording still held, its
// transcripts and decisions, review items, local record copies and the
// audit entries about them into one zip file with a manifest (sha256 per
// file) and a short human-readable summary. Calls that match only the
// caller's phone number are listed apart, without content, for the DPO to
// check before anything about them is disclosed.
package sar

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/review"
)

// Request names the person.
type Request struct {
	NHSNumber string
	// Phone, optional: calls from this number without a matching NHS
	// number are listed for the DPO to check.
	Phone string
}

// AuditSource returns the audit entries about a call, as JSON lines. It is
// a seam so that the export does not depend on how the trail is stored.
type AuditSource func(ctx context.Context, callID string) ([]json.RawMessage, error)

// Calls is what an export reads of the pipeline (pipeline.Client).
type Calls interface {
	CallIDs(ctx context.Context) ([]string, error)
	State(ctx context.Context, id string) (pipeline.CallState, error)
	Result(ctx context.Context, id string) (*pipeline.ResultMessage, error)
	Failure(ctx context.Context, id string) (*pipeline.FailedMessage, error)
	Queued(ctx context.Context, id string) (pipeline.CallMeta, error)
	Recording(ctx context.Context, id string) (io.ReadCloser, error)
}

// Items is what an export reads of the review store (review.Store).
type Items interface {
	Get(ctx context.Context, id string) (review.Item, error)
	RecordCopy(ctx context.Context, id string) ([]byte, error)
}

var (
	_ Calls = (*pipeline.Client)(nil)
	_ Items = (*review.Store)(nil)
)

// Exporter builds subject access exports.
type Exporter struct {
	Pipeline Calls
	// Review may be nil when the deployment has no review store.
	Review Items
	// Audit may be nil; the summary then says that audit entries were not
	// included.
	Audit AuditSource
	Now   func() time.Time
}

// CallRef is one call found for the request.
type CallRef struct {
	CallID    string         `json:"call_id"`
	StartedAt time.Time      `json:"started_at"`
	Line      string         `json:"line,omitempty"`
	State     pipeline.State `json:"state"`
	MatchedBy string         `json:"matched_by"` // nhs_number | phone
}

// Summary is what an export holds, for the audit trail and the DPO.
type Summary struct {
	Matched   []CallRef `json:"matched"`
	PhoneOnly []CallRef `json:"phone_only"`
	Files     int       `json:"files"`
}

// manifestEntry describes one file of the export.
type manifestEntry struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Export writes the zip to w.
func (x *Exporter) Export(ctx context.Context, req Request, w io.Writer) (Summary, error) {
	var sum Summary
	nhs := digits(req.NHSNumber)
	if len(nhs) != 10 {
		return sum, fmt.Errorf("subject access: NHS number %q: want 10 digits", req.NHSNumber)
	}
	phone := digits(req.Phone)
	ids, err := x.Pipeline.CallIDs(ctx)
	if err != nil {
		return sum, fmt.Errorf("subject access: %w", err)
	}
	sort.Strings(ids)
	for _, id := range ids {
		meta, st, err := x.callMeta(ctx, id)
		if errors.Is(err, pipeline.ErrNotFound) {
			continue // erased, or nothing with metadata left
		}
		if err != nil {
			return sum, fmt.Errorf("subject access: %w", err)
		}
		ref := CallRef{CallID: id, StartedAt: meta.StartedAt, Line: meta.Line, State: st.State}
		switch {
		case digits(meta.NHSNumber) == nhs:
			ref.MatchedBy = "nhs_number"
			sum.Matched = append(sum.Matched, ref)
		case phone != "" && digits(meta.CallerNumber) == phone && meta.NHSNumber == "":
			ref.MatchedBy = "phone"
			sum.PhoneOnly = append(sum.PhoneOnly, ref)
		}
	}

	zw := zip.NewWriter(w)
	var manifest []manifestEntry
	add := func(path string, data []byte) error {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: path, Method: zip.Deflate, Modified: x.now()})
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			return err
		}
		h := sha256.Sum256(data)
		manifest = append(manifest, manifestEntry{Path: path, Bytes: int64(len(data)), SHA256: hex.EncodeToString(h[:])})
		return nil
	}
	for _, ref := range sum.Matched {
		if err := x.addCall(ctx, ref.CallID, add); err != nil {
			return sum, fmt.Errorf("subject access: call %s: %w", ref.CallID, err)
		}
	}
	listing, _ := json.MarshalIndent(map[string]any{"matched": sum.Matched, "phone_only_to_check": sum.PhoneOnly}, "", "  ")
	if err := add("calls.json", listing); err != nil {
		return sum, err
	}
	if err := add("summary.txt", []byte(x.summaryText(req, sum))); err != nil {
		return sum, err
	}
	sum.Files = len(manifest)
	mj, _ := json.MarshalIndent(manifest, "", "  ")
	if err := add("manifest.json", mj); err != nil { // lists every file before it
		return sum, err
	}
	if err := zw.Close(); err != nil {
		return sum, fmt.Errorf("subject access: write zip: %w", err)
	}
	return sum, nil
}

// callMeta finds a call's metadata wherever it still is: its result, its
// dead letter, or its queued message.
func (x *Exporter) callMeta(ctx context.Context, id string) (pipeline.CallMeta, pipeline.CallState, error) {
	st, err := x.Pipeline.State(ctx, id)
	if err != nil {
		return pipeline.CallMeta{}, st, err
	}
	if st.State.Erased() {
		return pipeline.CallMeta{}, st, pipeline.ErrNotFound
	}
	if r, err := x.Pipeline.Result(ctx, id); err == nil {
		return r.Call, st, nil
	} else if !errors.Is(err, pipeline.ErrNotFound) {
		return pipeline.CallMeta{}, st, err
	}
	if f, err := x.Pipeline.Failure(ctx, id); err == nil && f.Call != nil {
		return *f.Call, st, nil
	} else if err != nil && !errors.Is(err, pipeline.ErrNotFound) {
		return pipeline.CallMeta{}, st, err
	}
	m, err := x.Pipeline.Queued(ctx, id)
	return m, st, err
}

// addCall writes everything held about one call.
func (x *Exporter) addCall(ctx context.Context, id string, add func(string, []byte) error) error {
	dir := "calls/" + id + "/"
	if rc, err := x.Pipeline.Recording(ctx, id); err == nil {
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("read recording: %w", err)
		}
		if err := add(dir+"recording.wav", data); err != nil {
			return err
		}
	} else if !errors.Is(err, pipeline.ErrNotFound) {
		return err
	}
	if r, err := x.Pipeline.Result(ctx, id); err == nil {
		data, _ := json.MarshalIndent(r, "", "  ")
		if err := add(dir+"result.json", data); err != nil {
			return err
		}
		if err := add(dir+"transcript.txt", []byte(review.TranscriptText(r.Transcript))); err != nil {
			return err
		}
	} else if !errors.Is(err, pipeline.ErrNotFound) {
		return err
	}
	if f, err := x.Pipeline.Failure(ctx, id); err == nil {
		data, _ := json.MarshalIndent(f, "", "  ")
		if err := add(dir+"failure.json", data); err != nil {
			return err
		}
	} else if !errors.Is(err, pipeline.ErrNotFound) {
		return err
	}
	if x.Review != nil {
		if it, err := x.Review.Get(ctx, id); err == nil {
			data, _ := json.MarshalIndent(it, "", "  ")
			if err := add(dir+"review.json", data); err != nil {
				return err
			}
		} else if !errors.Is(err, pipeline.ErrNotFound) {
			return err
		}
		if b, err := x.Review.RecordCopy(ctx, id); err == nil {
			if err := add(dir+"record.fhir.json", b); err != nil {
				return err
			}
		} else if !errors.Is(err, pipeline.ErrNotFound) {
			return err
		}
	}
	if x.Audit != nil {
		entries, err := x.Audit(ctx, id)
		if err != nil {
			return fmt.Errorf("audit entries: %w", err)
		}
		var b strings.Builder
		for _, e := range entries {
			b.Write(e)
			b.WriteByte('\n')
		}
		if err := add(dir+"audit.jsonl", []byte(b.String())); err != nil {
			return err
		}
	}
	return nil
}

func (x *Exporter) summaryText(req Request, sum Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Subject access export, %s\n\n", x.now().Format(time.RFC1123))
	fmt.Fprintf(&b, "NHS number: %s\n", req.NHSNumber)
	if req.Phone != "" {
		fmt.Fprintf(&b, "Phone number: %s\n", req.Phone)
	}
	fmt.Fprintf(&b, "\n%d call(s) recorded with this NHS number are still held; their recordings, transcripts,\n", len(sum.Matched))
	b.WriteString("classification decisions, review items, record copies and audit entries are in calls/<call ID>/.\n")
	for _, r := range sum.Matched {
		fmt.Fprintf(&b, "  %s  %s  line %s  %s\n", r.CallID, r.StartedAt.Format("2006-01-02 15:04"), r.Line, r.State)
	}
	if req.Phone != "" {
		fmt.Fprintf(&b, "\n%d call(s) came from the phone number but carry no NHS number. They are listed only\n", len(sum.PhoneOnly))
		b.WriteString("(calls.json, phone_only_to_check): check that they concern this person before disclosing them.\n")
		for _, r := range sum.PhoneOnly {
			fmt.Fprintf(&b, "  %s  %s  line %s  %s\n", r.CallID, r.StartedAt.Format("2006-01-02 15:04"), r.Line, r.State)
		}
	}
	if x.Audit == nil {
		b.WriteString("\nAudit entries were not included.\n")
	}
	b.WriteString("\nCalls deleted under the retention policy (administrative calls after 4 weeks) or after an\nobjection to recording are no longer held and cannot be included.\n")
	b.WriteString("manifest.json lists every file with its SHA-256.\n")
	return b.String()
}

func (x *Exporter) now() time.Time {
	if x.Now != nil {
		return x.Now().UTC()
	}
	return time.Now().UTC()
}

// digits keeps the digits of s ("943 476 5919" → "9434765919").
func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
