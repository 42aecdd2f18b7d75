package web

import (
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London without the host's zone files (the sid chroot has none)

	"github.com/callscribe/callscribe/review"
)

// london is the zone every time on the pages is shown in: clinicians in
// England read "6 December 2026, 6:38pm", not UTC.
var london = mustZone("Europe/London")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("web: " + err.Error()) // time/tzdata is linked in, so this cannot happen
	}
	return loc
}

// ukTime is the NHS.UK style for a date and time: "6 December 2026, 6:38pm".
func ukTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(london).Format("2 January 2006, 3:04pm")
}

// isoTime is the machine-readable form for <time datetime>.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// nhsNumber spaces a 10-digit NHS number as 3 3 4 ("999 000 0034"), the
// way it is read aloud and printed on NHS letters; anything else is shown
// as it is.
func nhsNumber(s string) string {
	if len(s) != 10 || strings.Trim(s, "0123456789") != "" {
		return s
	}
	return s[:3] + " " + s[3:6] + " " + s[6:]
}

// stateName is a review state in plain English.
func stateName(s review.State) string {
	switch s {
	case review.StateTriage:
		return "Needs triage"
	case review.StateProposed:
		return "Waiting for a clinician"
	case review.StateConfirmed:
		return "Added to record"
	case review.StateAmended:
		return "Amended and added to record"
	case review.StateRejected:
		return "Not added to record"
	case review.StateAdministrative:
		return "Administrative"
	}
	return string(s)
}

// stateTag is the NHS.UK tag colour for a state: the ones needing action
// stand out, finished ones are grey or green.
func stateTag(s review.State) string {
	switch s {
	case review.StateTriage:
		return "nhsuk-tag--yellow"
	case review.StateProposed:
		return "nhsuk-tag--blue"
	case review.StateConfirmed, review.StateAmended:
		return "nhsuk-tag--green"
	}
	return "nhsuk-tag--grey"
}

// seconds is an audio offset for the player's currentTime.
func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }
