package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/sar"
)

// sarObject names a subject access export as a whole in the audit trail;
// each call in it has its own event.
const sarObject = "subject-access"

// SARRequest is the body of POST /api/v1/sar. The NHS number travels in
// the body, not the URL, so no proxy or access log keeps it.
type SARRequest struct {
	NHSNumber string `json:"nhs_number"`
	Phone     string `json:"phone,omitempty"`
}

// Headers of the export's answer, for the command to report without
// opening the zip.
const (
	HeaderSARMatched   = "Callscribe-Export-Matched"
	HeaderSARPhoneOnly = "Callscribe-Export-Phone-Only"
	HeaderSARFiles     = "Callscribe-Export-Files"
)

// apiSAR answers a subject access request for the DPO with the zip. The
// export is built into a private temporary file first, because only then
// is it known which calls it holds; each is recorded as exported, and
// only once every event is written is the first byte sent. A refusal by
// role is audited as denied.
func (s *Server) apiSAR(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx, who := r.Context(), actor(sess)
	whole := audit.Object{Kind: audit.KindRecording, ID: sarObject}
	if sess.actor.Role != review.RoleDPO {
		s.apiDeny(w, r, sess, audit.ActionExport, whole, audit.PurposeSubjectAccess, "export everything held about a person", "the data protection officer")
		return
	}
	var req SARRequest
	if err := readJSON(r, &req); err != nil || req.NHSNumber == "" {
		apiError(w, http.StatusBadRequest, `want a JSON body {"nhs_number": ..., "phone": ...}`)
		return
	}
	if !validNHSNumber(req.NHSNumber) {
		apiError(w, http.StatusBadRequest, "nhs_number: want 10 digits (spaces allowed)")
		return
	}
	if s.cfg.Exporter == nil {
		apiError(w, http.StatusServiceUnavailable, "subject access export is not configured on this server")
		return
	}
	f, sum, err := s.exportToTemp(ctx, sar.Request{NHSNumber: req.NHSNumber, Phone: req.Phone})
	if err != nil {
		_ = s.appendAudit(ctx, audit.Fail(who, audit.ActionExport, whole, audit.PurposeSubjectAccess, "export failed")) // nothing was disclosed
		s.apiFail(w, sess, "the export could not be made", err)
		return
	}
	defer closeAndRemove(f)
	if err := s.appendAudit(ctx, sarEvents(who, sum)...); err != nil {
		apiRefusal(w, sess)
		return
	}
	s.sendExport(w, f, sum)
	s.log.Info().Str("user", sess.actor.ID).Int("calls", len(sum.Matched)).Int("phone_only", len(sum.PhoneOnly)).Int("files", sum.Files).Msg("subject access export sent")
}

// exportToTemp writes the export to a new temporary file (0600), rewound.
func (s *Server) exportToTemp(ctx context.Context, req sar.Request) (*os.File, sar.Summary, error) {
	f, err := os.CreateTemp("", "callscribe-sar-*.zip")
	if err != nil {
		return nil, sar.Summary{}, fmt.Errorf("subject access: temporary file: %w", err)
	}
	sum, err := s.cfg.Exporter.Export(ctx, req, f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		closeAndRemove(f)
		return nil, sum, err
	}
	return f, sum, nil
}

func closeAndRemove(f *os.File) {
	_ = f.Close()
	_ = os.Remove(f.Name())
}

// sarEvents are the export's audit events: the export itself, each call
// exported, and each call listed for checking by phone number (its ID,
// time and line are in the listing).
func sarEvents(who audit.Actor, sum sar.Summary) []audit.Event {
	p := audit.PurposeSubjectAccess
	out := []audit.Event{audit.Allow(who, audit.ActionExport, audit.Object{Kind: audit.KindRecording, ID: sarObject}, p)}
	for _, c := range sum.Matched {
		out = append(out, audit.Allow(who, audit.ActionExport, audit.Object{Kind: audit.KindRecording, ID: c.CallID}, p))
	}
	for _, c := range sum.PhoneOnly {
		out = append(out, audit.Allow(who, audit.ActionRead, audit.Object{Kind: audit.KindDecision, ID: c.CallID}, p))
	}
	return out
}

// sendExport streams the audited export.
func (s *Server) sendExport(w http.ResponseWriter, f *os.File, sum sar.Summary) {
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="subject-access.zip"`)
	if fi, err := f.Stat(); err == nil {
		h.Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	}
	h.Set(HeaderSARMatched, strconv.Itoa(len(sum.Matched)))
	h.Set(HeaderSARPhoneOnly, strconv.Itoa(len(sum.PhoneOnly)))
	h.Set(HeaderSARFiles, strconv.Itoa(sum.Files))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, f); err != nil {
		s.log.Warn().Err(err).Msg("subject access export not fully sent")
	}
}

// apiDeny refuses a role with 403 and records the refusal first; if the
// refusal cannot be recorded, the answer is the audit refusal (503).
func (s *Server) apiDeny(w http.ResponseWriter, r *http.Request, sess *session, action audit.Action, obj audit.Object, p audit.Purpose, what, who string) {
	if err := s.appendAudit(r.Context(), audit.Deny(actor(sess), action, obj, p, "role not allowed")); err != nil {
		apiRefusal(w, sess)
		return
	}
	roleRefused(w, sess, what, who)
}

// validNHSNumber: ten digits, spaces or dashes between them allowed.
func validNHSNumber(s string) bool {
	n := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			n++
		case c == ' ' || c == '-':
		default:
			return false
		}
	}
	return n == 10
}
