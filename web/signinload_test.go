package web_test

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/callscribe/callscribe/web"
)

// TestConcurrentBadSignInsAreBounded plays issue 12's memory attack: 200
// bad sign-ins at once, each from its own address (so the throttle does
// not step in and the hash bound is what is tested), half for a real
// account and half for made-up ones. Each argon2id check allocates
// 64 MiB; the server must never run more than web.MaxHashes at once,
// counted inside the server, not timed. Every answer is a refusal: 401
// checked, or 503/429 refused before hashing. The process's peak resident
// memory (VmHWM) is reported and must stay under 1 GiB; unbounded, 200
// hashes would need 12.5 GiB.
func TestConcurrentBadSignInsAreBounded(t *testing.T) {
	e := newSignInEnv(t)
	before := vmHWM(t)
	const n = 200
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := "dr.khan"
			if i%2 == 1 {
				user = fmt.Sprintf("nobody-%d", i)
			}
			codes[i] = e.signIn(t, fmt.Sprintf("10.1.%d.%d:40000", i/250, i%250), user, "wrong").Code
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	for c := range count {
		if c != http.StatusUnauthorized && c != http.StatusServiceUnavailable && c != http.StatusTooManyRequests {
			t.Errorf("a bad sign-in was answered %d", c)
		}
	}
	peak := web.PeakHashes(e.ui)
	t.Logf("%d concurrent bad sign-ins: answers %v; at most %d hashes at once (bound %d); peak RSS of the test process %s before, %s after",
		n, count, peak, web.MaxHashes, before, vmHWM(t))
	if peak > web.MaxHashes {
		t.Fatalf("%d password hashes ran at once, bound is %d", peak, web.MaxHashes)
	}
	if peak < 1 || count[http.StatusUnauthorized] < 1 {
		t.Fatalf("no password was checked (peak %d, answers %v): the test proves nothing", peak, count)
	}
	if kib := vmHWMKiB(t); kib > 1<<20 && !raceDetector {
		t.Fatalf("peak RSS %d MiB, want under 1 GiB", kib>>10)
	}
}

// vmHWMKiB is the process's peak resident set size in KiB, from
// /proc/self/status (Linux); 0 where that is not available.
func vmHWMKiB(t *testing.T) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kib, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kib
		}
	}
	return 0
}

func vmHWM(t *testing.T) string {
	kib := vmHWMKiB(t)
	if kib == 0 {
		return "unknown"
	}
	return fmt.Sprintf("%d MiB", kib>>10)
}
