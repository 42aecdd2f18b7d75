package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/transcribe"
)

// Environment of a worker process started by TestClusterFaults: when
// envClusterWorker is set, TestClusterWorkerProcess is that worker instead of
// a test.
const (
	envClusterWorker = "CALLSCRIBE_TEST_CLUSTER_WORKER" // worker ID
	envClusterURLs   = "CALLSCRIBE_TEST_CLUSTER_URLS"   // comma-separated
)

// clusterWorkerSettings are the worker's settings in the fault test: short
// enough that a killed worker's calls come back within seconds, with
// attempts to spare, because every kill costs the calls in hand one.
func clusterWorkerSettings(c *pipeline.Client, id string, log zerolog.Logger) *pipeline.Worker {
	return &pipeline.Worker{
		Client:        c,
		Processor:     &sleepyProcessor{},
		ID:            id,
		Concurrency:   2,
		AckWait:       2 * time.Second,
		Heartbeat:     500 * time.Millisecond,
		MaxDeliver:    10,
		BackOff:       []time.Duration{200 * time.Millisecond},
		ShutdownGrace: 2 * time.Second,
		PollWait:      500 * time.Millisecond,
		OpTimeout:     5 * time.Second,
		Log:           log,
	}
}

// sleepyProcessor is a TEST DOUBLE for pipeline.Processor used by the
// cluster fault test. It does NOT transcribe: it checks that the audio it was
// handed is a whole, decodable WAV (so a recording mangled in transit is a
// failure), sleeps 20-80 ms to stand in for whisper, and returns the canned
// transcript. The real whisper path is tested in cmd/callscribe.
type sleepyProcessor struct{}

func (sleepyProcessor) Process(ctx context.Context, meta pipeline.CallMeta, audio io.Reader) (*pipeline.Result, error) {
	if _, err := transcribe.Decode(audio, transcribe.DecodeOptions{}); err != nil {
		return nil, pipeline.Permanent(fmt.Errorf("test double: %w", err))
	}
	select {
	case <-time.After(time.Duration(20+rand.IntN(61)) * time.Millisecond):
		return cannedResult(), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestClusterWorkerProcess is not a test: it is the worker process that
// TestClusterFaults starts (and kills) by running the test binary again. It
// runs a pipeline.Worker against the cluster until its stdin closes (the
// test asks it to stop, or the test process died), restarting Run if it
// fails to start, as a service manager would.
func TestClusterWorkerProcess(t *testing.T) {
	id := os.Getenv(envClusterWorker)
	if id == "" {
		t.Skip("helper process for TestClusterFaults")
	}
	log := zerolog.New(os.Stderr).With().Timestamp().Logger().Level(zerolog.InfoLevel)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	c, err := pipeline.Connect(ctx, os.Getenv(envClusterURLs), pipeline.WithName(id), pipeline.WithLogger(log))
	if err != nil {
		t.Fatalf("worker %s: %v", id, err)
	}
	defer c.Close()
	for ctx.Err() == nil {
		if err := clusterWorkerSettings(c, id, log).Run(ctx); err != nil {
			log.Warn().Err(err).Msg("worker run failed; starting again")
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// natsCluster is three (or more) nats-servers with JetStream in this
// process, routed to each other on loopback, each with its own store, each
// able to be shut down alone.
type natsCluster struct {
	nodes []*server.Server
	down  []bool
}

func startCluster(t *testing.T, n int) *natsCluster {
	t.Helper()
	ports := make([]int, n)
	routes := make([]string, n)
	for i := range ports {
		ports[i] = freePort(t)
		routes[i] = fmt.Sprintf("nats://127.0.0.1:%d", ports[i])
	}
	cl := &natsCluster{down: make([]bool, n)}
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i),
			Host:       "127.0.0.1",
			Port:       server.RANDOM_PORT,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			MaxPayload: pipeline.DefaultMaxPayload,
			Cluster: server.ClusterOpts{
				Name: "callscribe-test",
				Host: "127.0.0.1",
				Port: ports[i],
			},
			Routes:                 server.RoutesFromStr(strings.Join(routes, ",")),
			NoSigs:                 true,
			NoLog:                  true,
			DisableJetStreamBanner: true,
		}
		srv, err := server.NewServer(opts)
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		go srv.Start()
		if !srv.ReadyForConnections(liveness) {
			t.Fatalf("node %d not ready", i)
		}
		cl.nodes = append(cl.nodes, srv)
	}
	t.Cleanup(func() {
		for i := range cl.nodes {
			cl.shutdown(i)
		}
	})
	return cl
}

// urls is every node's client URL, comma-separated, as a deployment would
// configure its workers; it includes nodes that are down.
func (cl *natsCluster) urls() string {
	var out []string
	for _, s := range cl.nodes {
		out = append(out, s.ClientURL())
	}
	return strings.Join(out, ",")
}

// shutdown stops node i and waits until it is gone. The server steps its
// Raft leaderships down as it goes, as a node being drained would; a crash
// would add an election timeout (4-9 s by default) before the survivors
// take over.
func (cl *natsCluster) shutdown(i int) {
	if cl.down[i] {
		return
	}
	cl.down[i] = true
	cl.nodes[i].Shutdown()
	cl.nodes[i].WaitForShutdown()
}

func (cl *natsCluster) index(name string) int {
	for i, s := range cl.nodes {
		if s.Name() == name {
			return i
		}
	}
	return -1
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// workerProc is one worker process and how to stop it.
type workerProc struct {
	id    string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}
}

// startWorkerProc runs the test binary again as worker id. It returns an
// error rather than failing the test because it is called from the goroutine
// that kills and replaces workers.
func startWorkerProc(id, urls, logDir string) (*workerProc, error) {
	logf, err := os.Create(filepath.Join(logDir, id+".log"))
	if err != nil {
		return nil, fmt.Errorf("worker %s: log: %w", id, err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestClusterWorkerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envClusterWorker+"="+id, envClusterURLs+"="+urls)
	cmd.Stdout, cmd.Stderr = logf, logf
	stdin, err := cmd.StdinPipe()
	if err != nil {
		logf.Close()
		return nil, fmt.Errorf("worker %s: %w", id, err)
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start worker %s: %w", id, err)
	}
	p := &workerProc{id: id, cmd: cmd, stdin: stdin, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// kill is kill -9: no shutdown grace, calls in hand are simply abandoned.
func (p *workerProc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// stop asks the worker to finish its calls and exit, killing it if it
// does not.
func (p *workerProc) stop() {
	_ = p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(liveness):
		p.kill()
	}
}

// TestClusterFaults runs calls through worker processes on a three-node
// cluster with R3 streams while workers are killed with SIGKILL over and
// over and one node is shut down for good half-way. Every call must end with
// exactly one result and a final state: nothing lost, nothing doubled.
//
// The node that goes is the leader of the workers' consumer, the one whose
// loss the workers feel most. It stays down: the cluster carries on with
// two of three, which is a quorum.
func TestClusterFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster fault test: about a minute")
	}
	const (
		calls       = 300
		workerProcs = 2
	)
	began := time.Now()
	cl := startCluster(t, 3)
	urls := cl.urls()
	sink := &logSink{t: t}
	t.Cleanup(func() { sink.mu.Lock(); sink.ended = true; sink.mu.Unlock() })
	log := sink.logger().Level(zerolog.WarnLevel)

	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Second)
	defer cancel()
	c, err := pipeline.Connect(ctx, urls, pipeline.WithLogger(log), pipeline.WithName("cluster-test"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The meta group needs all three nodes before an R3 stream can be
	// placed; until then EnsureStreams fails with "insufficient resources".
	// Each try is bounded: a request sent before the meta leader is elected
	// can go unanswered.
	ensureStart, tries := time.Now(), 0
	err = retryUntil(ctx, "EnsureStreams R3", func() error {
		tries++
		actx, acancel := context.WithTimeout(ctx, 5*time.Second)
		defer acancel()
		return c.EnsureStreams(actx, pipeline.Config{Replicas: 3})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("R3 streams ready %s after the cluster started (%d tries)", time.Since(ensureStart).Round(time.Millisecond), tries)
	wav := testWAV(t)

	// Ingest everything first, eight at a time.
	ingestStart := time.Now()
	var wg sync.WaitGroup
	callIDs := ids("cl", calls)
	work := make(chan string)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				meta := call(id)
				// Ingest is idempotent, so a failed try is simply repeated.
				err := retryUntil(ctx, "ingest "+id, func() error {
					_, err := c.Ingest(ctx, meta, bytes.NewReader(wav))
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for _, id := range callIDs {
		work <- id
	}
	close(work)
	wg.Wait()
	t.Logf("ingested %d calls of %d bytes WAV into R3 streams in %s", calls, len(wav), time.Since(ingestStart).Round(time.Millisecond))

	// Workers, killed and replaced until the queue is empty.
	logDir := t.TempDir()
	var (
		mu      sync.Mutex
		procs   []*workerProc
		started int
	)
	spawn := func() {
		mu.Lock()
		defer mu.Unlock()
		started++
		p, err := startWorkerProc(fmt.Sprintf("w%02d", started), urls, logDir)
		if err != nil {
			t.Error(err)
			return
		}
		procs = append(procs, p)
	}
	for range workerProcs {
		spawn()
	}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range procs {
			p.stop()
		}
		logWorkerEvents(t, logDir)
		if t.Failed() {
			dumpWorkerLogs(t, logDir)
		}
	}()

	processStart := time.Now()
	stopKilling := make(chan struct{})
	var killed atomic.Int64
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		for {
			select {
			case <-stopKilling:
				return
			case <-time.After(time.Duration(500+rand.IntN(500)) * time.Millisecond):
			}
			mu.Lock()
			if len(procs) == 0 {
				mu.Unlock()
				return
			}
			i := rand.IntN(len(procs))
			victim := procs[i]
			procs = append(procs[:i], procs[i+1:]...)
			mu.Unlock()
			victim.kill()
			killed.Add(1)
			spawn()
		}
	}()

	var (
		nodeDown     time.Time // when the node had gone (Shutdown returned)
		nodeDownTook time.Duration
		lostNode     = -1
	)
	for {
		if ctx.Err() != nil {
			break
		}
		results := streamMsgs(ctx, c, pipeline.StreamResults)
		failed := streamMsgs(ctx, c, pipeline.StreamFailed)
		queued := streamMsgs(ctx, c, pipeline.StreamCalls)
		if lostNode < 0 && results >= calls/3 {
			lostNode = consumerLeader(t, ctx, c, cl)
			t0 := time.Now()
			cl.shutdown(lostNode)
			nodeDown, nodeDownTook = time.Now(), time.Since(t0)
			t.Logf("node %s (leader of consumer %s) shut down after %d results; shutdown took %s",
				cl.nodes[lostNode].Name(), pipeline.ConsumerTranscribers, results, nodeDownTook.Round(time.Millisecond))
		}
		if lostNode >= 0 && results+failed >= calls && queued == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(stopKilling)
	<-killerDone
	processing := time.Since(processStart)
	if ctx.Err() != nil {
		t.Errorf("calls not all settled before the test's time ran out")
	}

	// Read RESULTS back: one message per call ID, and when each was stored.
	rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer rcancel()
	rs, err := c.JetStream().Stream(rctx, pipeline.StreamResults)
	if err != nil {
		t.Fatal(err)
	}
	info, err := rs.Info(rctx)
	if err != nil {
		t.Fatal(err)
	}
	perCall := map[string]int{}
	var resumed time.Time
	redelivered, byWorker := 0, map[string]int{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := rs.GetMsg(rctx, seq)
		if err != nil {
			t.Fatalf("RESULTS seq %d: %v", seq, err)
		}
		id := strings.TrimPrefix(m.Subject, "calls.transcribed.")
		perCall[id]++
		if got := m.Header.Get(jetstream.MsgIDHeader); got != id {
			t.Errorf("result for %s has %s %q, want the call ID (it is what makes re-publishing idempotent)", id, jetstream.MsgIDHeader, got)
		}
		if !nodeDown.IsZero() && m.Time.After(nodeDown) && (resumed.IsZero() || m.Time.Before(resumed)) {
			resumed = m.Time
		}
		var r pipeline.ResultMessage
		if err := json.Unmarshal(m.Data, &r); err != nil {
			t.Fatalf("RESULTS seq %d: %v", seq, err)
		}
		if r.Attempt > 1 {
			redelivered++
		}
		byWorker[r.WorkerID]++
	}
	lost, duplicates := 0, 0
	for _, id := range callIDs {
		switch n := perCall[id]; {
		case n == 0:
			lost++
		case n > 1:
			duplicates += n - 1
		}
	}
	if lost > 0 || duplicates > 0 || len(perCall) != calls || info.State.Msgs != calls {
		t.Errorf("RESULTS: %d messages for %d call IDs; %d calls without a result, %d duplicate results", info.State.Msgs, len(perCall), lost, duplicates)
	}
	if n := streamMsgs(rctx, c, pipeline.StreamFailed); n != 0 {
		t.Errorf("FAILED holds %d dead letters, want none", n)
	}
	notFinal := 0
	for _, id := range callIDs {
		st, err := c.State(rctx, id)
		if err != nil || st.State != pipeline.StateTranscribed {
			notFinal++
			if notFinal <= 5 {
				t.Errorf("call %s: state %+v, err %v; want %s", id, st, err, pipeline.StateTranscribed)
			}
		}
	}

	// Publishing a result again, as a worker whose ack was lost would, adds
	// nothing: the stream deduplicates on the call ID, also after the
	// leadership moved off the lost node.
	again, err := rs.GetMsg(rctx, info.State.LastSeq)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := c.JetStream().PublishMsg(rctx, &nats.Msg{Subject: again.Subject, Data: again.Data, Header: again.Header})
	if err != nil {
		t.Fatalf("re-publish result: %v", err)
	}
	if after := streamMsgs(rctx, c, pipeline.StreamResults); !ack.Duplicate || after != int(info.State.Msgs) {
		t.Errorf("re-published result: duplicate %v, RESULTS %d → %d messages; want a duplicate and no new message", ack.Duplicate, info.State.Msgs, after)
	}

	resume := "no result after the node loss"
	if !resumed.IsZero() {
		resume = resumed.Sub(nodeDown).Round(time.Millisecond).String()
	}
	t.Logf("calls %d: results %d, lost %d, duplicates %d, not final %d, redelivered (attempt > 1) %d",
		calls, len(perCall), lost, duplicates, notFinal, redelivered)
	t.Logf("worker processes: %d started, %d killed with SIGKILL; results by worker: %v", started, killed.Load(), byWorker)
	t.Logf("node loss: resume time (node gone → next result stored) %s; shutdown itself took %s",
		resume, nodeDownTook.Round(time.Millisecond))
	t.Logf("processing %s, test wall time %s", processing.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	if resumed.IsZero() && lostNode >= 0 {
		t.Errorf("no result was published after node %d was lost", lostNode)
	}
}

// consumerLeader is the node leading the workers' consumer.
func consumerLeader(t *testing.T, ctx context.Context, c *pipeline.Client, cl *natsCluster) int {
	t.Helper()
	cons, err := c.JetStream().Consumer(ctx, pipeline.StreamCalls, pipeline.ConsumerTranscribers)
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	info, err := cons.Info(ctx)
	if err != nil || info.Cluster == nil {
		t.Fatalf("consumer info: %+v, %v", info, err)
	}
	i := cl.index(info.Cluster.Leader)
	if i < 0 {
		t.Fatalf("consumer leader %q is not a node of the cluster", info.Cluster.Leader)
	}
	return i
}

// streamMsgs is how many messages a stream holds; during an election the
// question may go unanswered, which reads as -1 and is asked again later.
func streamMsgs(ctx context.Context, c *pipeline.Client, name string) int {
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := c.JetStream().Stream(qctx, name)
	if err != nil {
		return -1
	}
	return int(s.CachedInfo().State.Msgs)
}

// retryUntil runs f until it succeeds or ctx ends, returning f's last
// error in that case.
func retryUntil(ctx context.Context, what string, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// testWAV is a quarter second of 16 kHz mono tone: a small, real WAV.
func testWAV(t *testing.T) []byte {
	t.Helper()
	return testWAVSeconds(t, 0.25)
}

// testWAVSeconds is a 16 kHz mono 16-bit WAV of a tone, written by the same
// encoder callscribe uses to hand audio to whisper-cli.
func testWAVSeconds(t *testing.T, seconds float64) []byte {
	t.Helper()
	samples := make([]float32, int(seconds*transcribe.SampleRate))
	for i := range samples {
		samples[i] = 0.1 * float32(i%40-20) / 20
	}
	path := filepath.Join(t.TempDir(), "call.wav")
	if err := transcribe.WriteWAV16(path, samples); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func dumpWorkerLogs(t *testing.T, dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) > 15 {
			lines = lines[len(lines)-15:]
		}
		t.Logf("--- %s (last %d lines)\n%s", e.Name(), len(lines), strings.Join(lines, "\n"))
	}
}

// logWorkerEvents counts, across every worker process's log, the events
// that show a worker riding out a fault rather than stopping.
func logWorkerEvents(t *testing.T, dir string) {
	events := []string{"worker run failed", "fetch failed", "fetch ended with an error", "heartbeat failed",
		"will retry", "call handed back", "already settled", "nats disconnected", "nats reconnected"}
	counts := map[string]int{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		for _, ev := range events {
			counts[ev] += bytes.Count(b, []byte(ev))
		}
	}
	t.Logf("worker log events: %v", counts)
}
