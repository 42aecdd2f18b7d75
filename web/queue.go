package web

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/review"
)

// queuePage is how many calls one page of the queue lists: enough for a
// duty shift's open calls at a glance, short enough to scan.
const queuePage = 25

// queueRow is an item with the risk its evidence shows (clinicians only).
type queueRow struct {
	review.Item
	Risk     classify.Risk
	RiskCats []string
}

// queueCounts is the summary above the queue.
type queueCounts struct{ Action, Risk, Triage, Proposed int }

// Shows of the queue: what needs action (the default), everything, or one state.
const (
	showAction = "action"
	showAll    = "all"
)

func (s *Server) queue(w http.ResponseWriter, r *http.Request, sess *session) {
	q := r.URL.Query()
	all, err := s.store.List(r.Context(), review.Filter{})
	if err != nil {
		s.fail(w, sess, http.StatusInternalServerError, "The queue could not be loaded.", err)
		return
	}
	clinical := review.SeesClinical(sess.actor.Role)
	rows := s.rated(r.Context(), all, clinical)
	counts := countQueue(rows)
	show := q.Get("show")
	if show == "" {
		show = showAction
	}
	from, fromErr := dateParam(q, "from")
	to, toErr := dateParam(q, "to")
	search := strings.TrimSpace(q.Get("q"))
	var shown []queueRow
	for _, row := range rows {
		if wanted(row.Item, show, q.Get("line"), from, to, search) {
			shown = append(shown, row)
		}
	}
	sortQueue(shown)
	pg, _ := strconv.Atoi(q.Get("page"))
	pager := newPager(len(shown), pg, queuePage, q)
	var errs []fieldError
	if fromErr {
		errs = append(errs, fieldError{"from-day", "Enter a real date for 'From', for example 6 12 2026"})
	}
	if toErr {
		errs = append(errs, fieldError{"to-day", "Enter a real date for 'To', for example 6 12 2026"})
	}
	s.render(w, http.StatusOK, "queue.html", s.page(sess, "Review queue", map[string]any{
		"Rows": shown[pager.From:pager.To], "Pager": pager, "Counts": counts, "Filter": q,
		"Show": show, "Search": search, "Lines": lines(all), "Backlog": s.backlogLine(r.Context()),
		"Errors": errs, "Message": notice(q.Get("msg")),
		"States": []review.State{review.StateTriage, review.StateProposed, review.StateConfirmed, review.StateAmended, review.StateRejected, review.StateAdministrative},
	}))
}

// rated adds each item's risk, read from its classifier decision. Only
// for clinicians: a risk flag is clinical evidence, which admin staff do
// not see (nor may they infer it from the order). One RESULTS read per
// item; a result that is gone (erased, expired) rates no risk.
func (s *Server) rated(ctx context.Context, items []review.Item, clinical bool) []queueRow {
	rows := make([]queueRow, len(items))
	for i, it := range items {
		rows[i].Item = it
		if !clinical {
			continue
		}
		if res, err := s.store.Pipeline().Result(ctx, it.CallID); err == nil {
			rows[i].Risk, rows[i].RiskCats = classify.RiskOf(res.Decision.Hits)
		}
	}
	return rows
}

func countQueue(rows []queueRow) queueCounts {
	var c queueCounts
	for _, r := range rows {
		if r.State.Final() {
			continue
		}
		c.Action++
		if r.Risk > classify.RiskNone {
			c.Risk++
		}
		if r.State == review.StateTriage {
			c.Triage++
		} else {
			c.Proposed++
		}
	}
	return c
}

// wanted applies the queue's filters. search matches a call ID (any part)
// or an NHS number typed with or without its spaces.
func wanted(it review.Item, show, line string, from, to time.Time, search string) bool {
	switch show {
	case showAction:
		if it.State.Final() {
			return false
		}
	case showAll:
	default:
		if string(it.State) != show {
			return false
		}
	}
	if line != "" && it.Call.Line != line {
		return false
	}
	at := it.Call.StartedAt
	if (!from.IsZero() && at.Before(from)) || (!to.IsZero() && !at.Before(to.AddDate(0, 0, 1))) {
		return false
	}
	if search == "" {
		return true
	}
	digits := strings.ReplaceAll(search, " ", "")
	return strings.Contains(strings.ToLower(it.CallID), strings.ToLower(search)) ||
		(it.Call.NHSNumber != "" && digits == it.Call.NHSNumber)
}

// sortQueue puts what needs action first, and within it stated risk, then
// possible risk, then the rest, each oldest call first (waiting longest);
// finished calls follow, newest first.
func sortQueue(rows []queueRow) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.State.Final() != b.State.Final() {
			return !a.State.Final()
		}
		if a.State.Final() {
			return a.Call.StartedAt.After(b.Call.StartedAt)
		}
		if a.Risk != b.Risk {
			return a.Risk > b.Risk
		}
		return a.Call.StartedAt.Before(b.Call.StartedAt)
	})
}

func lines(items []review.Item) []string {
	seen := map[string]bool{}
	var out []string
	for _, it := range items {
		if l := it.Call.Line; l != "" && !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

// dateParam reads an NHS.UK date input (name-day, name-month, name-year)
// as a day in London; bad reports a date that was given but is not real.
func dateParam(q url.Values, name string) (day time.Time, bad bool) {
	d, m, y := q.Get(name+"-day"), q.Get(name+"-month"), q.Get(name+"-year")
	if d == "" && m == "" && y == "" {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation("2-1-2006", d+"-"+m+"-"+y, london)
	if err != nil {
		return time.Time{}, true
	}
	return t, false
}

// fieldError is one entry of an NHS.UK error summary: the field's id
// (the summary links to it) and what to do.
type fieldError struct{ Field, Text string }

// pager is one page of a list, with the links to its neighbours.
type pager struct {
	Page, Pages, Total, From, To int
	Prev, Next                   string
}

func newPager(total, page, size int, q url.Values) pager {
	pages := max(1, (total+size-1)/size)
	page = min(max(page, 1), pages)
	p := pager{Page: page, Pages: pages, Total: total, From: (page - 1) * size, To: min(page*size, total)}
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(n))
		v.Del("msg")
		return "?" + v.Encode()
	}
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if page < pages {
		p.Next = link(page + 1)
	}
	return p
}
