package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"

	"github.com/callscribe/callscribe/review"
)

// session is a logged-in user. Sessions live in memory: a restart logs
// everyone out, which is acceptable for a review tool and keeps session
// secrets off disk.
type session struct {
	actor    review.Actor
	csrf     string
	lastSeen time.Time
	created  time.Time
}

// sessions maps the SHA-256 of the cookie token to a session, so a memory
// dump does not hand out usable cookies.
type sessions struct {
	mu    sync.Mutex
	m     map[[32]byte]*session
	idle  time.Duration
	max   time.Duration
	clock func() time.Time
}

func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // unrecoverable: no safe tokens
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *sessions) create(a review.Actor) (token string, sess *session) {
	token = newToken()
	now := s.clock()
	sess = &session{actor: a, csrf: newToken(), lastSeen: now, created: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[sha256.Sum256([]byte(token))] = sess
	// Sweep expired sessions now and then so memory stays bounded.
	for k, v := range s.m {
		if s.expired(v, now) {
			delete(s.m, k)
		}
	}
	return token, sess
}

// get returns the live session for token and marks it used.
func (s *sessions) get(token string) *session {
	if token == "" {
		return nil
	}
	k := sha256.Sum256([]byte(token))
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.m[k]
	if sess == nil {
		return nil
	}
	if s.expired(sess, now) {
		delete(s.m, k)
		return nil
	}
	sess.lastSeen = now
	return sess
}

func (s *sessions) delete(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, sha256.Sum256([]byte(token)))
}

func (s *sessions) expired(sess *session, now time.Time) bool {
	return now.Sub(sess.lastSeen) > s.idle || now.Sub(sess.created) > s.max
}
