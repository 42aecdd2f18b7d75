package main

import (
	"errors"
	"testing"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/internal/testenv"
)

// TestRecordNamespaceFlags: records' identifiers live under -fhir-id-base,
// else under -web-url, else under the UI's address with a warning; a
// namespace that cannot make absolute identifier systems is a usage error.
func TestRecordNamespaceFlags(t *testing.T) {
	for _, c := range []struct {
		args       []string
		base, warn string
		bad        bool
	}{
		{[]string{"-fhir-id-base", "https://spa.trust.nhs.uk/callscribe/id/"}, "https://spa.trust.nhs.uk/callscribe/id", "", false},
		{[]string{"-web-url", "https://review.trust.nhs.uk/"}, "https://review.trust.nhs.uk/id", "", false},
		{[]string{"-web", "127.0.0.1:8080"}, "http://127.0.0.1:8080/id", "local address", false},
		{[]string{"-fhir-id-base", "urn:callscribe"}, "", "", true},
		{[]string{"-web-url", "https://review.trust.nhs.uk", "-fhir-staff-system", "not a uri"}, "", "", true},
	} {
		wf := parseWebFlags(t, c.args)
		logs := &testenv.LogBuffer{}
		ns, err := wf.namespace(zerolog.New(logs))
		var usage usageError
		if c.bad {
			if !errors.As(err, &usage) {
				t.Errorf("%v: err %v, want a usage error", c.args, err)
			}
			continue
		}
		if err != nil || ns.Base != c.base {
			t.Errorf("%v: namespace %q, err %v; want %q", c.args, ns.Base, err, c.base)
		}
		if (c.warn == "") != (logs.String() == "") {
			t.Errorf("%v: logged %q", c.args, logs.String())
		}
	}
}
