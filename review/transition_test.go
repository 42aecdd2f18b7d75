package review_test

import (
	"errors"
	"testing"
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/review"
)

var (
	clinician = review.Actor{ID: "dr.khan", Name: "Dr A Khan", Role: review.RoleClinician}
	admin     = review.Actor{ID: "sam", Role: review.RoleAdmin}
	now       = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
)

func proposed() review.Item {
	return review.Item{CallID: "c1", Kind: review.KindProposal, State: review.StateProposed,
		Call: pipeline.CallMeta{ID: "c1", NHSNumber: "9434765919"}}
}

func TestConfirmNeedsClarified(t *testing.T) {
	it := proposed()
	if err := it.Confirm(clinician, review.ConfirmInput{}, now); !errors.Is(err, review.ErrNotClarified) {
		t.Fatalf("err %v", err)
	}
	if it.State != review.StateProposed || len(it.History) != 0 {
		t.Fatalf("state changed: %+v", it)
	}
}

func TestNoDoubleConfirm(t *testing.T) {
	it := proposed()
	if err := it.Confirm(clinician, review.ConfirmInput{Clarified: true}, now); err != nil {
		t.Fatal(err)
	}
	if it.State != review.StateConfirmed || it.Retention != review.RetentionRecord {
		t.Fatalf("%s %s", it.State, it.Retention)
	}
	if err := it.Confirm(clinician, review.ConfirmInput{Clarified: true}, now); !errors.Is(err, review.ErrWrongState) {
		t.Fatalf("second confirm: %v", err)
	}
	if err := it.Reject(clinician, "changed my mind", false, now); !errors.Is(err, review.ErrWrongState) {
		t.Fatalf("reject after confirm: %v", err)
	}
	e := it.History[0]
	if e.Actor != clinician || !e.At.Equal(now) || !e.Clarified || e.From != review.StateProposed || e.To != review.StateConfirmed {
		t.Fatalf("history %+v", e)
	}
}

func TestAmendKeepsText(t *testing.T) {
	it := proposed()
	if err := it.Confirm(clinician, review.ConfirmInput{Clarified: true, AmendedText: " fixed "}, now); err != nil {
		t.Fatal(err)
	}
	if it.State != review.StateAmended || it.AmendedText != "fixed" {
		t.Fatalf("%s %q", it.State, it.AmendedText)
	}
}

func TestRejectNeedsReason(t *testing.T) {
	it := proposed()
	if err := it.Reject(clinician, "  ", true, now); !errors.Is(err, review.ErrReasonRequired) {
		t.Fatalf("err %v", err)
	}
	if err := it.Reject(clinician, "booking query only", true, now); err != nil {
		t.Fatal(err)
	}
	if it.State != review.StateRejected || it.Retention != review.RetentionAdministrative || it.History[0].Reason != "booking query only" {
		t.Fatalf("%+v", it)
	}
	it = proposed()
	_ = it.Reject(clinician, "already in the record", false, now)
	if it.Retention != review.RetentionClinicalNotRecorded {
		t.Fatalf("retention %s", it.Retention)
	}
}

func TestRoles(t *testing.T) {
	it := proposed()
	if err := it.Confirm(admin, review.ConfirmInput{Clarified: true}, now); !errors.Is(err, review.ErrForbidden) {
		t.Fatalf("admin confirm: %v", err)
	}
	if err := it.Reject(admin, "x", true, now); !errors.Is(err, review.ErrForbidden) {
		t.Fatalf("admin reject: %v", err)
	}
}

func TestConfirmNeedsPatient(t *testing.T) {
	it := proposed()
	it.Call.NHSNumber = ""
	if err := it.Confirm(clinician, review.ConfirmInput{Clarified: true}, now); !errors.Is(err, review.ErrNoPatient) {
		t.Fatalf("err %v", err)
	}
}

func TestTriage(t *testing.T) {
	it := review.Item{CallID: "c2", Kind: review.KindTriage, State: review.StateTriage}
	if err := it.Triage(admin, classify.Clinical, "", now); !errors.Is(err, review.ErrReasonRequired) {
		t.Fatalf("err %v", err)
	}
	if err := it.Triage(admin, classify.Clinical, "caller mentions medication", now); err != nil {
		t.Fatal(err)
	}
	if it.State != review.StateProposed {
		t.Fatalf("state %s", it.State)
	}
	it = review.Item{CallID: "c3", Kind: review.KindTriage, State: review.StateTriage}
	if err := it.Triage(clinician, classify.Administrative, "parking question", now); err != nil {
		t.Fatal(err)
	}
	if it.State != review.StateAdministrative || it.Retention != review.RetentionAdministrative {
		t.Fatalf("%s %s", it.State, it.Retention)
	}
}
