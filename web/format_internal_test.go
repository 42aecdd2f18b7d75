package web

import (
	"testing"
	"time"
)

func TestUKTime(t *testing.T) {
	for in, want := range map[time.Time]string{
		time.Date(2026, 12, 6, 18, 38, 0, 0, time.UTC): "6 December 2026, 6:38pm", // GMT
		time.Date(2026, 7, 1, 8, 5, 0, 0, time.UTC):    "1 July 2026, 9:05am",     // BST
	} {
		if got := ukTime(in); got != want {
			t.Errorf("ukTime(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestNHSNumberSpaced(t *testing.T) {
	for in, want := range map[string]string{"9990000034": "999 000 0034", "12345": "12345", "": "", "99900000x4": "99900000x4"} {
		if got := nhsNumber(in); got != want {
			t.Errorf("nhsNumber(%q) = %q, want %q", in, got, want)
		}
	}
}
