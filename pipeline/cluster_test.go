package pipeline_test

import (
	"bufio"
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
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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

// Environment of a nats-server node process started by TestClusterFaults:
// when envClusterNode is set, TestClusterNodeProcess is that node instead
// of a test.
const (
	envClusterNode        = "CALLSCRIBE_TEST_CLUSTER_NODE"         // server name
	envClusterNodeCluster = "CALLSCRIBE_TEST_CLUSTER_NODE_CLUSTER" // cluster (route) port
	envClusterNodeStore   = "CALLSCRIBE_TEST_CLUSTER_NODE_STORE"   // JetStream store dir
	envClusterNodeRoutes  = "CALLSCRIBE_TEST_CLUSTER_NODE_ROUTES"  // comma-separated route URLs
)

// nodeReadyPrefix starts the line a node process prints on stdout once it
// accepts clients; the rest of the line is its client URL.
const nodeReadyPrefix = "NODE READY "

// TestClusterNodeProcess is not a test: it is one nats-server node of the
// cluster that TestClusterFaults starts by running the test binary again, so
// that the node can be killed with SIGKILL like a crashed machine, with no
// chance to hand its Raft leaderships over. It listens for clients on a
// random loopback port, prints nodeReadyPrefix and its client URL when
// ready, and runs until it is killed or its stdin closes (the test asks it
// to stop, or the test process died: no node outlives the test).
func TestClusterNodeProcess(t *testing.T) {
	name := os.Getenv(envClusterNode)
	if name == "" {
		t.Skip("helper process for TestClusterFaults")
	}
	var clusterPort int
	if _, err := fmt.Sscan(os.Getenv(envClusterNodeCluster), &clusterPort); err != nil {
		t.Fatalf("node %s: cluster port: %v", name, err)
	}
	opts := &server.Options{
		ServerName: name,
		Host:       "127.0.0.1",
		Port:       server.RANDOM_PORT,
		JetStream:  true,
		StoreDir:   os.Getenv(envClusterNodeStore),
		MaxPayload: pipeline.DefaultMaxPayload,
		Cluster: server.ClusterOpts{
			Name: "callscribe-test",
			Host: "127.0.0.1",
			Port: clusterPort,
		},
		Routes:                 server.RoutesFromStr(os.Getenv(envClusterNodeRoutes)),
		NoSigs:                 true,
		NoLog:                  true,
		DisableJetStreamBanner: true,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("node %s: %v", name, err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(liveness) {
		t.Fatalf("node %s not ready", name)
	}
	fmt.Printf("%s%s\n", nodeReadyPrefix, srv.ClientURL())
	_, _ = io.Copy(io.Discard, os.Stdin)
	srv.Shutdown()
	srv.WaitForShutdown()
}

// natsCluster is three (or more) nats-servers with JetStream, each a
// process of its own, routed to each other on loopback, each with its own
// store, each able to be killed alone.
type natsCluster struct {
	names      []string
	clientURLs []string
	procs      []*nodeProc
}

// nodeProc is one node process.
type nodeProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}
	down  bool
}

// startCluster starts n node processes and waits until each accepts
// clients. Every node is killed in t.Cleanup, whatever happens to the test;
// a node whose test process dies unseen stops when its stdin closes.
func startCluster(t *testing.T, n int) *natsCluster {
	t.Helper()
	ports := make([]int, n)
	routes := make([]string, n)
	for i := range ports {
		ports[i] = freePort(t)
		routes[i] = fmt.Sprintf("nats://127.0.0.1:%d", ports[i])
	}
	logDir := t.TempDir()
	cl := &natsCluster{}
	t.Cleanup(func() {
		for i := range cl.procs {
			cl.kill(i)
		}
		if t.Failed() {
			dumpWorkerLogs(t, logDir)
		}
	})
	ready := make([]chan string, n)
	for i := range n {
		name := fmt.Sprintf("n%d", i)
		logf, err := os.Create(filepath.Join(logDir, name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestClusterNodeProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(),
			envClusterNode+"="+name,
			envClusterNodeCluster+"="+fmt.Sprint(ports[i]),
			envClusterNodeStore+"="+t.TempDir(),
			envClusterNodeRoutes+"="+strings.Join(routes, ","))
		cmd.Stderr = logf
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			logf.Close()
			t.Fatal(err)
		}
		stdin, err := cmd.StdinPipe()
		if err != nil {
			logf.Close()
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			logf.Close()
			t.Fatalf("start node %s: %v", name, err)
		}
		p := &nodeProc{cmd: cmd, stdin: stdin, done: make(chan struct{})}
		cl.names = append(cl.names, name)
		cl.procs = append(cl.procs, p)
		ready[i] = make(chan string, 1)
		go func() {
			// Hand the ready line over, copy the rest to the log, then reap.
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				line := sc.Text()
				if url, ok := strings.CutPrefix(line, nodeReadyPrefix); ok {
					ready[i] <- url
					continue
				}
				fmt.Fprintln(logf, line)
			}
			_ = cmd.Wait()
			logf.Close()
			close(p.done)
		}()
	}
	for i := range n {
		select {
		case url := <-ready[i]:
			cl.clientURLs = append(cl.clientURLs, url)
		case <-cl.procs[i].done:
			t.Fatalf("node %s exited before it was ready (%v)", cl.names[i], cl.procs[i].cmd.ProcessState)
		case <-time.After(liveness):
			t.Fatalf("node %s not ready after %s", cl.names[i], liveness)
		}
	}
	return cl
}

// urls is every node's client URL, comma-separated, as a deployment would
// configure its workers; it includes nodes that are down.
func (cl *natsCluster) urls() string {
	return strings.Join(cl.clientURLs, ",")
}

// kill is kill -9 of node i, as an operating-system crash: the server gets
// no chance to step its Raft leaderships down or flush anything, so the
// survivors notice only when heartbeats stop and hold an election (a
// timeout of 4-9 s in nats-server). It returns once the process is gone.
func (cl *natsCluster) kill(i int) {
	p := cl.procs[i]
	if p.down {
		return
	}
	p.down = true
	_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

func (cl *natsCluster) index(name string) int {
	for i, n := range cl.names {
		if n == name {
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
// over and, a third of the way in, one node process is killed with SIGKILL
// too, as a crashed machine. Every call must end with exactly one result
// and a final state: nothing lost, nothing doubled.
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
		nodeDown     time.Time // when the node had gone (the killed process was reaped)
		nodeDownTook time.Duration
		lostNode     = -1
		reelected    time.Duration // node gone → the consumer reports a new leader
		newLeader    string
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
			streamLeader, _ := streamLeaderName(ctx, c, pipeline.StreamCalls)
			resultsLeader, _ := streamLeaderName(ctx, c, pipeline.StreamResults)
			t0 := time.Now()
			cl.kill(lostNode)
			nodeDown, nodeDownTook = time.Now(), time.Since(t0)
			t.Logf("node %s (leader of consumer %s; %s leader %s, %s leader %s) killed with SIGKILL after %d results; kill took %s",
				cl.names[lostNode], pipeline.ConsumerTranscribers, pipeline.StreamCalls, streamLeader,
				pipeline.StreamResults, resultsLeader, results, nodeDownTook.Round(time.Millisecond))
		}
		if lostNode >= 0 && newLeader == "" {
			// A question asked during the election may go unanswered, or
			// be answered with the dead node still named as leader.
			if name, err := consumerLeaderName(ctx, c); err == nil && name != "" && name != cl.names[lostNode] {
				newLeader, reelected = name, time.Since(nodeDown)
				t.Logf("consumer %s has a new leader, %s, %s after the kill", pipeline.ConsumerTranscribers, newLeader, reelected.Round(time.Millisecond))
			}
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
	var (
		resumed time.Time
		stored  []time.Time // when each result was stored, in stream order
	)
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
		stored = append(stored, m.Time)
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
	// Results stored just after the kill can be calls already in a worker's
	// hands; the outage shows as the longest pause in RESULTS from the kill
	// on, and when results flowed again after it.
	var stall time.Duration
	var stallEnd time.Time
	if !nodeDown.IsZero() {
		sort.Slice(stored, func(i, j int) bool { return stored[i].Before(stored[j]) })
		prev := nodeDown
		for _, ts := range stored {
			if !ts.After(nodeDown) {
				continue
			}
			if d := ts.Sub(prev); d > stall {
				stall, stallEnd = d, ts
			}
			prev = ts
		}
	}
	reelect := "never seen"
	if newLeader != "" {
		reelect = fmt.Sprintf("%s (new leader %s)", reelected.Round(time.Millisecond), newLeader)
	}
	t.Logf("calls %d: results %d, lost %d, duplicates %d, not final %d, redelivered (attempt > 1) %d",
		calls, len(perCall), lost, duplicates, notFinal, redelivered)
	t.Logf("worker processes: %d started, %d killed with SIGKILL; results by worker: %v", started, killed.Load(), byWorker)
	t.Logf("node crash (SIGKILL): first result stored after the kill %s; longest pause in RESULTS after the kill %s, ending %s after the kill; consumer leader re-elected after %s",
		resume, stall.Round(time.Millisecond), stallEnd.Sub(nodeDown).Round(time.Millisecond), reelect)
	t.Logf("processing %s, test wall time %s", processing.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	if resumed.IsZero() && lostNode >= 0 {
		t.Errorf("no result was published after node %s was killed", cl.names[lostNode])
	}
}

// consumerLeaderName is the name of the node leading the workers' consumer,
// as the cluster reports it; a question asked during an election may go
// unanswered, which is an error.
func consumerLeaderName(ctx context.Context, c *pipeline.Client) (string, error) {
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	cons, err := c.JetStream().Consumer(qctx, pipeline.StreamCalls, pipeline.ConsumerTranscribers)
	if err != nil {
		return "", err
	}
	info := cons.CachedInfo()
	if info == nil || info.Cluster == nil {
		return "", fmt.Errorf("consumer info has no cluster")
	}
	return info.Cluster.Leader, nil
}

// streamLeaderName is the name of the node leading stream name.
func streamLeaderName(ctx context.Context, c *pipeline.Client, name string) (string, error) {
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := c.JetStream().Stream(qctx, name)
	if err != nil {
		return "", err
	}
	if info := s.CachedInfo(); info != nil && info.Cluster != nil {
		return info.Cluster.Leader, nil
	}
	return "", fmt.Errorf("stream info has no cluster")
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
