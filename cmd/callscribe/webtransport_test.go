package main

import (
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/internal/testenv"
)

// TestWebRefusesPlainHTTPOnNetwork plays issue 12's finding that
// "-web 0.0.0.0:8080" served plain HTTP without a word: it is refused
// unless TLS is configured or -web-insecure-http says a proxy does it, and
// then a warning is logged. Loopback stays allowed without flags, so the
// quick start is unchanged (the positive control).
func TestWebRefusesPlainHTTPOnNetwork(t *testing.T) {
	cases := []struct {
		args    []string
		refused bool
		warned  bool
	}{
		{[]string{"-web", "0.0.0.0:8080"}, true, false},
		{[]string{"-web", ":8080"}, true, false},
		{[]string{"-web", "[::]:8080"}, true, false},
		{[]string{"-web", "10.1.2.3:8080"}, true, false},
		{[]string{"-web", "review.trust.nhs.uk:8080"}, true, false},
		{[]string{"-web", "0.0.0.0:8080", "-web-cert", "c.pem"}, true, false}, // no key
		{[]string{"-web", "0.0.0.0:8080", "-web-insecure-http"}, false, true},
		{[]string{"-web", "0.0.0.0:8443", "-web-cert", "c.pem", "-web-key", "k.pem"}, false, false},
		{[]string{}, false, false}, // the default, 127.0.0.1:8080
		{[]string{"-web", "localhost:8080"}, false, false},
		{[]string{"-web", "[::1]:8080"}, false, false},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			wf := parseWebFlags(t, c.args)
			logs := &testenv.LogBuffer{}
			err := wf.checkTransport(zerolog.New(logs))
			var usage usageError
			if c.refused != (err != nil) || (err != nil && !errors.As(err, &usage)) {
				t.Fatalf("refused: %v, want %v", err, c.refused)
			}
			if warned := strings.Contains(logs.String(), "PLAIN HTTP"); warned != c.warned {
				t.Errorf("warning logged: %v, want %v (%s)", warned, c.warned, logs.String())
			}
		})
	}
}

// parseWebFlags is serve's review UI flags parsed from args.
func parseWebFlags(t *testing.T, args []string) *webFlags {
	t.Helper()
	var wf webFlags
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	wf.register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &wf
}
