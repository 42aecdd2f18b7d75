package main

import (
	"errors"
	"fmt"
	"net"

	"github.com/rs/zerolog"
)

// checkTransport refuses to serve the review UI in plain HTTP anywhere but
// on loopback. Passwords, session cookies, transcripts and audio cross
// that connection; on 0.0.0.0 without TLS anyone on the ward's network
// could read them, and the old behaviour did it without a word. Behind a
// TLS-terminating proxy plain HTTP is right, so -web-insecure-http allows
// it, with a warning at every start so the choice stays visible.
func (f *webFlags) checkTransport(logger zerolog.Logger) error {
	if (f.cert == "") != (f.key == "") {
		return usageError{errors.New("-web-cert and -web-key go together")}
	}
	if f.cert != "" {
		return nil
	}
	loopback, err := isLoopback(f.addr)
	if err != nil {
		return usageError{fmt.Errorf("-web %q: %w", f.addr, err)}
	}
	switch {
	case loopback:
		return nil
	case !f.insecureHTTP:
		return usageError{fmt.Errorf("-web %s is not a loopback address: give -web-cert and -web-key for HTTPS, "+
			"or -web-insecure-http if a TLS-terminating proxy is in front", f.addr)}
	}
	logger.Warn().Str("addr", f.addr).Msg("REVIEW UI SERVES PLAIN HTTP ON A NETWORK ADDRESS (-web-insecure-http): " +
		"passwords, cookies and patient data travel unencrypted unless a TLS proxy is the only way in")
	return nil
}

// isLoopback reports whether a listen address reaches only this host. An
// empty host (":8080") listens on every interface; host names other than
// localhost are not resolved (what they resolve to can change), so they
// count as network addresses.
func isLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	if host == "localhost" {
		return true, nil
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback(), nil
}
