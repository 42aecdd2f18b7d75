package web_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/web"
)

// fixedBacklog is a TEST DOUBLE for the pipeline's backlog: it answers
// with the counts (or the error) it was given.
type fixedBacklog struct {
	b   pipeline.Backlog
	err error
}

func (f fixedBacklog) Backlog(context.Context) (pipeline.Backlog, error) { return f.b, f.err }

// The queue page says what transcription still has in hand, so an empty
// review queue is not mistaken for no more work: from the real pipeline
// (all dev calls done: nothing waiting), and from doubles for a busy queue
// and for a queue that cannot be read.
func TestQueuePageShowsTranscriptionBacklog(t *testing.T) {
	e := newEnv(t)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		backlog web.Backlog
		want    string
	}{
		{e.c, "Nothing waiting for transcription."},
		{fixedBacklog{b: pipeline.Backlog{Waiting: 4, InFlight: 3, Oldest: now.Add(-12*time.Minute - 30*time.Second)}},
			"3 calls being transcribed, 4 queued, oldest 12 min."},
		{fixedBacklog{b: pipeline.Backlog{InFlight: 1, Oldest: now.Add(-20 * time.Second)}},
			"1 call being transcribed, 0 queued, oldest under 1 min."},
		{fixedBacklog{err: errors.New("nats: timeout")}, "The transcription queue could not be read"},
	}
	for _, c := range cases {
		e.web = e.serveUI(t, func(cfg *web.Config, _ string) {
			cfg.Backlog, cfg.Now = c.backlog, func() time.Time { return now }
		})
		for _, who := range []struct{ name, pw string }{{"dr.khan", clinicianPW}, {"sam", adminPW}} {
			page := e.login(t, who.name, who.pw).get("/", http.StatusOK)
			if !strings.Contains(page, `<p class="backlog" id="backlog">`+c.want) {
				t.Errorf("%s's queue page with backlog %+v lacks %q:\n%s", who.name, c.backlog, c.want, page)
			}
		}
	}
}
