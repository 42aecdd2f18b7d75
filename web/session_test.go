package web

import (
	"testing"
	"time"

	"github.com/callscribe/callscribe/review"
)

// fakeClock is a TEST DOUBLE for the wall clock, so the idle timeout can be
// tested without waiting.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func TestSessionIdleTimeout(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	s := &sessions{m: map[[32]byte]*session{}, idle: 15 * time.Minute, max: 12 * time.Hour, clock: clk.Now}
	tok, _ := s.create(review.Actor{ID: "dr.khan", Role: review.RoleClinician})
	clk.now = clk.now.Add(14 * time.Minute)
	if s.get(tok) == nil {
		t.Fatal("session ended before the idle timeout")
	}
	clk.now = clk.now.Add(14 * time.Minute) // active 14 min ago: still alive
	if s.get(tok) == nil {
		t.Fatal("activity did not extend the session")
	}
	clk.now = clk.now.Add(16 * time.Minute)
	if s.get(tok) != nil {
		t.Fatal("session survived 16 idle minutes")
	}
	if s.get(tok) != nil {
		t.Fatal("expired session came back")
	}
	// The absolute limit applies even to an active session.
	tok, _ = s.create(review.Actor{ID: "dr.khan", Role: review.RoleClinician})
	for i := 0; i < 12*6+1; i++ {
		clk.now = clk.now.Add(10 * time.Minute)
		s.get(tok)
	}
	if s.get(tok) != nil {
		t.Fatal("session outlived the 12 h limit")
	}
	if s.get("") != nil || s.get("forged") != nil {
		t.Fatal("unknown token accepted")
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("s3cret pass")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := CheckPassword(h, "s3cret pass"); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, _ := CheckPassword(h, "s3cret pasS"); ok {
		t.Fatal("wrong password accepted")
	}
	if _, err := CheckPassword("$2a$10$bcrypt", "x"); err == nil {
		t.Fatal("malformed hash accepted")
	}
	h2, _ := HashPassword("s3cret pass")
	if h2 == h {
		t.Fatal("same salt twice")
	}
}
