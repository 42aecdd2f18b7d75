package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/callscribe/callscribe/audit"
)

// purposeSignIn is the purpose of sign-in and sign-out audit events.
const purposeSignIn audit.Purpose = "sign-in"

// signInGuard is what stands between the sign-in form and a password
// hash: the throttle, the bound on concurrent hashes, and the key that
// turns typed usernames into digests.
type signInGuard struct {
	throttle *throttle
	hashes   *hashGate
	// userKey keys the username digests. It is random per process, so a
	// digest in a log cannot be reversed by hashing a list of guesses
	// offline (a password typed into the username field must not be
	// recoverable from the log).
	userKey []byte
}

func newSignInGuard(now func() time.Time) *signInGuard {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("crypto/rand failed: " + err.Error()) // unrecoverable: as newToken
	}
	return &signInGuard{throttle: newThrottle(now), hashes: newHashGate(maxHashes, maxHashQueue, hashWait), userKey: k}
}

// account is the throttle's key for a typed username.
func (g *signInGuard) account(username string) acctKey {
	m := hmac.New(sha256.New, g.userKey)
	m.Write([]byte(username))
	var k acctKey
	copy(k[:], m.Sum(nil))
	return k
}

// ref is what logs say for a typed username that is not an account: a
// short keyed digest, enough to see that the same thing was typed again.
func (k acctKey) ref() string { return hex.EncodeToString(k[:6]) }

// clientAddr is the throttle's key for where a request came from: the
// peer's IP (no X-Forwarded-For, which the client writes), and for IPv6
// its /64, since one host holds a whole /64.
func clientAddr(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	ip := ap.Addr().Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// sessionRef names a session in the audit trail: a digest of its token,
// so sign-in and sign-out of one session can be matched without the
// trail holding anything that opens it.
func sessionRef(token string) string {
	h := sha256.Sum256([]byte(token))
	return "session-" + hex.EncodeToString(h[:8])
}

// retryAfter is d as a Retry-After header value: whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}
