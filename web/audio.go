package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/review"
)

// audio streams a recording to a clinician with HTTP range support
// (http.ServeContent), so the player can start at a segment without
// downloading the call first. Other roles get 403 whatever the URL.
func (s *Server) audio(w http.ResponseWriter, r *http.Request, sess *session) {
	if !review.SeesClinical(sess.actor.Role) {
		s.log.Warn().Str("user", sess.actor.ID).Str("role", sess.actor.Role).Msg("audio refused for role")
		http.Error(w, "your role may not listen to recordings", http.StatusForbidden)
		return
	}
	id, ok := callID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	// Only calls under review have audio here: the UI is not a general
	// download service for every recording.
	if _, err := s.store.Get(r.Context(), id); err != nil {
		http.NotFound(w, r)
		return
	}
	recs := s.store.Pipeline()
	info, err := recs.RecordingInfo(r.Context(), id)
	if errors.Is(err, pipeline.ErrNotFound) {
		http.Error(w, "no recording is stored for this call", http.StatusNotFound)
		return
	}
	if errors.Is(err, pipeline.ErrUntrusted) {
		s.log.Error().Err(err).Str("call", id).Msg("recording refused: not the one submitted")
		http.Error(w, "this call's recording was changed after it was submitted; it is not played", http.StatusConflict)
		return
	}
	if err != nil {
		s.log.Error().Err(err).Str("call", id).Msg("recording info")
		http.Error(w, "recording unavailable", http.StatusServiceUnavailable)
		return
	}
	rs := &objectReadSeeker{ctx: r.Context(), open: recs.Recording, name: id, size: info.Size}
	defer rs.Close()
	w.Header().Set("Content-Type", "audio/wav")
	if info.Digest != "" {
		w.Header().Set("ETag", `"`+info.Digest+`"`)
	}
	http.ServeContent(w, r, "", info.ModTime, rs)
	s.log.Debug().Str("call", id).Str("user", sess.actor.ID).Str("range", r.Header.Get("Range")).Msg("audio served")
}

// objectReadSeeker gives http.ServeContent the io.ReadSeeker it needs over
// a NATS object, whose reader only streams forward from the start.
//
// Being honest about the cost: the object store has no ranged get, so a
// read at offset N streams and discards the N bytes before it. Seeks
// within what has been read move forward on the same reader; a backward
// seek reopens the object. Per HTTP request that is one pass over the
// object up to the end of the range, which for call recordings (a few MB
// at telephone quality) costs milliseconds on the local server and is far
// cheaper than sending the whole file to the browser. Seek to the end, which
// ServeContent uses to learn the size, is answered from the object's
// metadata without reading anything.
type objectReadSeeker struct {
	ctx  context.Context
	open func(ctx context.Context, id string) (io.ReadCloser, error)
	name string
	size int64
	pos  int64 // where the next Read reads
	r    io.ReadCloser
	rpos int64 // where r is
}

func (o *objectReadSeeker) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = o.pos + offset
	case io.SeekEnd:
		abs = o.size + offset
	default:
		return 0, fmt.Errorf("seek recording %s: bad whence %d", o.name, whence)
	}
	if abs < 0 {
		return 0, fmt.Errorf("seek recording %s: negative position", o.name)
	}
	o.pos = abs
	return abs, nil
}

func (o *objectReadSeeker) Read(p []byte) (int, error) {
	if o.pos >= o.size {
		return 0, io.EOF
	}
	if o.r != nil && o.rpos > o.pos {
		o.r.Close()
		o.r = nil
	}
	if o.r == nil {
		r, err := o.open(o.ctx, o.name)
		if err != nil {
			return 0, fmt.Errorf("open recording %s: %w", o.name, err)
		}
		o.r, o.rpos = r, 0
	}
	if o.rpos < o.pos {
		n, err := io.CopyN(io.Discard, o.r, o.pos-o.rpos)
		o.rpos += n
		if err != nil {
			return 0, fmt.Errorf("skip to %d in recording %s: %w", o.pos, o.name, err)
		}
	}
	n, err := o.r.Read(p)
	o.rpos += int64(n)
	o.pos += int64(n)
	return n, err
}

func (o *objectReadSeeker) Close() error {
	if o.r != nil {
		return o.r.Close()
	}
	return nil
}
