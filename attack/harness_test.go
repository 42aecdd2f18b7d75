package attack_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/callscribe/callscribe/pipeline"
)

// liveness bounds how long a test waits for something that should happen:
// a guard against hanging, not a speed assertion.
const liveness = 30 * time.Second

// suite is the serve process most attacks run against: default flags
// (embedded NATS server, authentication on), roles web, retention and
// objections, everything under a temporary HOME. The cluster test starts
// its own.
var suite *serveProc

// binary is the callscribe built for this run (host build, no whisper).
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "callscribe-attack-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "attack suite:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	binary = filepath.Join(tmp, "callscribe")
	build := exec.Command("go", "build", "-o", binary, "./cmd/callscribe")
	build.Dir = ".." // the module root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "attack suite: go build ./cmd/callscribe: %v\n%s", err, out)
		return 1
	}
	suite, err = startServe(filepath.Join(tmp, "embedded"), serveOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "attack suite: start serve:", err)
		if suite != nil {
			fmt.Fprintln(os.Stderr, suite.logTail(4000))
			suite.stop()
		}
		return 1
	}
	code := m.Run()
	suite.stop()
	return code
}

// serveOptions pick between the embedded server (zero value) and an
// external cluster.
type serveOptions struct {
	// natsURLs, when set, is passed as -nats with -credentials credsDir
	// and -replicas replicas.
	natsURLs string
	credsDir string
	replicas int
	// extra flags for serve.
	extra []string
}

// serveProc is a running 'callscribe serve' subprocess and what a test
// needs to reach it.
type serveProc struct {
	dir, home, data string
	natsURL         string
	webBase         string // http://127.0.0.1:port
	webHost         string // 127.0.0.1:port
	metricsBase     string
	credsDir        string
	passwords       map[string]string // initial passwords by user name, never logged
	cmd             *exec.Cmd
	log             *logBuffer
	exited          chan struct{}

	workerOnce sync.Once
	worker     *workerDouble
	workerErr  error

	sessMu   sync.Mutex
	sessions map[string]*webClient

	// auditJunk are the AUDIT stream sequences where tests put junk, so
	// a later verification (-count=N) expects them.
	auditJunk map[uint64]bool
}

// logBuffer keeps serve's stderr (JSON log lines) in memory and in a file.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	f   *os.File
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	return b.f.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// about is the lines that mention sub.
func (b *logBuffer) about(sub string) string {
	var out strings.Builder
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.Contains(line, sub) {
			out.WriteString(line + "\n")
		}
	}
	return out.String()
}

// logLines are serve's log lines decoded; lines that are not JSON are
// skipped.
func (s *serveProc) logLines() []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s.log.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

func (s *serveProc) logTail(n int) string {
	l := s.log.String()
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return l
}

// freePort asks the kernel for a port nobody is using.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// serveEnv is the environment of a child process: this one's, without
// anything that points callscribe at the developer's own configuration.
func serveEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "HOME" || strings.HasPrefix(k, "XDG_") || strings.HasPrefix(k, "CALLSCRIBE_") || strings.HasPrefix(k, "NATS_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home)
}

// startServe starts serve in dir and waits until it is healthy and its
// review UI answers.
func startServe(dir string, o serveOptions) (*serveProc, error) {
	var ports [3]int
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	s := &serveProc{dir: dir, home: filepath.Join(dir, "home"), data: filepath.Join(dir, "data"),
		webHost: fmt.Sprintf("127.0.0.1:%d", ports[1]), exited: make(chan struct{}), sessions: map[string]*webClient{}, auditJunk: map[uint64]bool{}}
	s.webBase = "http://" + s.webHost
	s.metricsBase = fmt.Sprintf("http://127.0.0.1:%d", ports[2])
	s.credsDir = filepath.Join(s.home, ".config", "callscribe", "nats")
	if err := os.MkdirAll(s.home, 0o700); err != nil {
		return nil, err
	}
	args := []string{"serve", "-roles", "web,retention,objections", "-data", s.data,
		"-web", s.webHost, "-metrics", strings.TrimPrefix(s.metricsBase, "http://")}
	if o.natsURLs == "" {
		args = append(args, "-port", strconv.Itoa(ports[0]))
		s.natsURL = fmt.Sprintf("nats://127.0.0.1:%d", ports[0])
	} else {
		args = append(args, "-nats", o.natsURLs, "-credentials", o.credsDir, "-replicas", strconv.Itoa(o.replicas))
		s.natsURL, s.credsDir = o.natsURLs, o.credsDir
	}
	args = append(args, o.extra...)
	f, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, err
	}
	s.log = &logBuffer{f: f}
	s.cmd = exec.Command(binary, args...)
	s.cmd.Env = serveEnv(s.home)
	s.cmd.Stdout = s.log
	s.cmd.Stderr = s.log
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()

	deadline := time.Now().Add(90 * time.Second)
	for _, u := range []string{s.metricsBase + "/healthz", s.webBase + "/login"} {
		for {
			select {
			case <-s.exited:
				return s, fmt.Errorf("serve exited before it was healthy: %v", s.cmd.ProcessState)
			default:
			}
			if time.Now().After(deadline) {
				return s, fmt.Errorf("serve not healthy within 90 s (%s)", u)
			}
			resp, err := http.Get(u)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if s.passwords, err = readInitialPasswords(filepath.Join(s.home, ".config", "callscribe", "accounts.json.initial-passwords")); err != nil {
		return s, err
	}
	return s, nil
}

// readInitialPasswords reads the file the web role writes on first start
// (web.LoadOrCreateAccounts): "user<TAB>role<TAB>password" lines.
func readInitialPasswords(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("initial passwords: %w", err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, "\t")
		if len(f) == 3 && f[0] != "user" && !strings.HasPrefix(f[0], "#") {
			out[f[0]] = f[2]
		}
	}
	for _, u := range []string{"clinician", "admin", "dpo", "auditor"} {
		if out[u] == "" {
			return nil, fmt.Errorf("initial passwords: no password for %s in %s", u, path)
		}
	}
	return out, nil
}

// stop ends serve (SIGTERM, then SIGKILL) and the test's worker.
func (s *serveProc) stop() {
	if s.worker != nil {
		s.worker.stop()
	}
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.log.f.Close()
}

// pid is serve's process ID.
func (s *serveProc) pid() int { return s.cmd.Process.Pid }

// seed is the path of an identity's nkey seed.
func (s *serveProc) seed(identity string) string {
	return filepath.Join(s.credsDir, identity+".nk")
}

// hasSeed reports whether identity's seed is on s's host: serve keeps the
// embedded server's setup key in memory only, and a cluster's serving
// hosts get no setup.nk.
func (s *serveProc) hasSeed(identity string) bool {
	_, err := os.Stat(s.seed(identity))
	return err == nil
}

// stealable are the identities whose seed an attacker on s's host could
// copy; the others are logged.
func (s *serveProc) stealable(t testing.TB) []string {
	var out []string
	for _, id := range pipeline.Identities {
		if s.hasSeed(id) {
			out = append(out, id)
		} else {
			t.Logf("no %s seed on this host (%s): nothing to steal", id, s.seed(id))
		}
	}
	return out
}

// creds are the component credentials serve made (or nats-conf made).
func (s *serveProc) creds(t testing.TB) *pipeline.Credentials {
	t.Helper()
	c, err := pipeline.LoadCredentials(s.credsDir)
	if err != nil {
		t.Fatalf("load the component seeds serve made: %v", err)
	}
	return c
}

// client connects through package pipeline as one of serve's own
// identities: how the tests play the recorder and the worker, and how they
// read what the web identity reads as a positive control.
func (s *serveProc) client(t testing.TB, identity string) *pipeline.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	c, err := pipeline.Connect(ctx, s.natsURL, pipeline.WithIdentity(s.creds(t), identity))
	if err != nil {
		t.Fatalf("connect as %s: %v", identity, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// procStatus reads VmHWM and VmRSS (KiB) of a process from /proc.
func procStatus(pid int) (hwm, rss int, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch k {
		case "VmHWM":
			hwm = n
		case "VmRSS":
			rss = n
		}
	}
	if hwm == 0 {
		return 0, 0, errors.New("no VmHWM in /proc status")
	}
	return hwm, rss, nil
}

// poll is waitFor without the failure: it reports whether cond came true
// within liveness.
func poll(cond func() bool) bool { return pollFor(liveness, cond) }

// pollFor is poll with its own bound.
func pollFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// logAbout is serve's log lines that mention any of subs (serve logs call
// IDs, never patient data).
func (s *serveProc) logAbout(subs ...string) string {
	var b strings.Builder
	for _, line := range strings.Split(s.log.String(), "\n") {
		for _, sub := range subs {
			if sub != "" && strings.Contains(line, sub) {
				b.WriteString(line)
				b.WriteByte('\n')
				break
			}
		}
	}
	return b.String()
}

// waitFor polls cond until it holds or liveness passes; what describes
// the condition for the failure message.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(liveness)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, liveness)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// drain reads and closes a body.
func drain(r io.ReadCloser) []byte {
	defer r.Close()
	b, _ := io.ReadAll(r)
	return b
}
