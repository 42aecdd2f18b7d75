package web

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/transcribe"
)

// segmentView is a transcript segment split around its rule hits.
type segmentView struct {
	Index      int
	Start, End time.Duration
	Speaker    string
	// Doubtful marks a passage Whisper was unsure of (classify's quality
	// limits): the reviewer should listen rather than read.
	Doubtful bool
	Parts    []part
}

type part struct {
	Text string
	Hit  *classify.Hit
	Why  string
}

func segmentsView(t *transcribe.Transcript, d classify.Decision) []segmentView {
	if t == nil {
		return nil
	}
	bySeg := map[int][]classify.Hit{}
	for _, h := range d.Hits {
		if !h.Suppressed {
			bySeg[h.Segment] = append(bySeg[h.Segment], h)
		}
	}
	doubtful := map[int]bool{}
	for _, i := range d.Quality.DoubtfulSegments {
		doubtful[i] = true
	}
	var out []segmentView
	for i, sg := range t.Segments {
		v := segmentView{Index: i, Start: sg.Start, End: sg.End, Speaker: speakerName(sg.Speaker), Doubtful: doubtful[i]}
		v.Parts = split(sg.Text, bySeg[i])
		out = append(out, v)
	}
	return out
}

// split cuts a segment's text around its hits, in order; overlapping or
// out-of-range spans are left unhighlighted.
func split(text string, hs []classify.Hit) []part {
	sort.Slice(hs, func(a, b int) bool { return hs[a].Start < hs[b].Start })
	var parts []part
	pos := 0
	for _, h := range hs {
		if h.Start < pos || h.End > len(text) || h.Start >= h.End {
			continue
		}
		if h.Start > pos {
			parts = append(parts, part{Text: text[pos:h.Start]})
		}
		h := h
		parts = append(parts, part{Text: text[h.Start:h.End], Hit: &h, Why: why(h)})
		pos = h.End
	}
	if pos < len(text) {
		parts = append(parts, part{Text: text[pos:]})
	}
	return parts
}

// speakerName is the diarised speaker as a reader says it.
func speakerName(s string) string {
	switch strings.ToLower(s) {
	case "handler":
		return "Call handler"
	case "caller":
		return "Caller"
	}
	return s
}

func why(h classify.Hit) string {
	s := "Clinical: " + h.Category
	if h.Class != classify.Clinical {
		s = "Administrative: " + h.Category
	}
	if h.Tolerant {
		s += " (matched allowing for a misspelling)"
	}
	return s
}

// evidenceItem is one kind of clinical content found, in plain English:
// the category, the words heard and where.
type evidenceItem struct {
	Category string
	Risk     bool
	Heard    []heard
}

type heard struct {
	Text     string
	At       time.Duration
	Segment  int
	Doubtful bool
}

// evidence groups the clinical hits by category, risk first, then in the
// order first heard; a category's words are listed once each.
func evidence(hits []classify.Hit) []evidenceItem {
	var out []evidenceItem
	idx := map[string]int{}
	for _, h := range hits {
		if h.Suppressed || h.Class != classify.Clinical {
			continue
		}
		i, ok := idx[h.Category]
		if !ok {
			i = len(out)
			idx[h.Category] = i
			risk, _ := classify.RiskOf([]classify.Hit{h})
			out = append(out, evidenceItem{Category: h.Category, Risk: risk > classify.RiskNone})
		}
		dup := false
		for _, w := range out[i].Heard {
			dup = dup || strings.EqualFold(w.Text, h.Text)
		}
		if !dup {
			out[i].Heard = append(out[i].Heard, heard{Text: h.Text, At: h.AudioStart, Segment: h.Segment, Doubtful: h.Doubtful})
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Risk && !out[b].Risk })
	return out
}

// uncertainWhy says in plain English why the classifier sent a call to a
// person instead of deciding.
func uncertainWhy(d classify.Decision) string {
	switch d.Uncertainty {
	case classify.UncertainQuality:
		return "The recording could not be transcribed reliably, so the computer could not tell whether the call is clinical."
	case classify.UncertainDoubtful:
		return "Clinical words were only heard in passages the transcription was unsure of. They may not have been said: listen to them."
	case classify.UncertainWeak:
		return "Only words that are sometimes clinical were heard. Decide whether the call is about the caller's health or care."
	case classify.UncertainThin:
		return "Too few words were recognised to tell what the call was about."
	}
	return "The computer could not decide whether this call is clinical."
}

// unsure is the share of words Whisper was unsure of, as a reader says it
// ("23%"); empty when there were none.
func unsure(q classify.Quality) string {
	if q.DoubtfulWords == 0 {
		return ""
	}
	return fmt.Sprintf("%.0f%%", 100*q.DoubtfulShare)
}

// recordPlace says where a confirmed call's record went, for the page
// shown after confirming.
func recordPlace(rs *review.RecordStatus) []string {
	if rs == nil {
		return nil
	}
	var out []string
	if rs.Published {
		out = append(out, fmt.Sprintf("Written to callscribe's record stream (RECORDS, message %d) on %s.", rs.Sequence, ukTime(rs.PublishedAt)))
	}
	if rs.Posted {
		for _, l := range rs.Locations {
			out = append(out, fmt.Sprintf("Stored in the patient record system as %s on %s.", l, ukTime(rs.PostedAt)))
		}
		if len(rs.Locations) == 0 {
			out = append(out, "Accepted by the patient record system on "+ukTime(rs.PostedAt)+".")
		}
	}
	return out
}
