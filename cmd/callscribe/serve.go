package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/models"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/process"
)

func cmdServe(ctx context.Context, args []string, stdout io.Writer) error {
	var ef engineFlags
	var nf natsFlags
	fs := newFlags("serve", "[flags]")
	ef.register(fs)
	nf.register(fs, "")
	nf.registerCredentials(fs)
	var wf webFlags
	wf.register(fs)
	fs.Lookup("nats").Usage = "use this NATS server instead of starting the embedded one"
	home, _ := os.UserHomeDir()
	data := fs.String("data", filepath.Join(home, ".local", "share", "callscribe"), "data folder of the embedded NATS server (JetStream store)")
	listen := fs.String("listen", pipeline.DefaultHost, "address the embedded NATS server listens on; every connection must authenticate as one of the identities in -credentials")
	port := fs.Int("port", pipeline.DefaultPort, "port of the embedded NATS server")
	workers := fs.Int("workers", 1, "transcriptions at once; each loads its own copy of the model")
	ackWait := fs.Duration("ack-wait", 30*time.Second, "how long before a silent worker's call goes to another worker")
	maxDeliver := fs.Int("max-deliver", 5, "attempts per call before it is dead-lettered on calls.failed.<id>")
	grace := fs.Duration("shutdown-grace", 30*time.Second, "on shutdown, how long calls in hand may finish before they are handed back")
	replicas := fs.Int("replicas", 1, "stream and bucket replicas (3 on a NATS cluster)")
	setupOnly := fs.Bool("setup-only", false, "with -nats: lay out (create or update) the streams and buckets as the setup identity, then exit; "+
		"the cluster's deployment step runs this with setup.nk, so that hosts running roles need no key that can change streams")
	rolesFlag := fs.String("roles", strings.Join(allRoles, ","), "roles this process runs, comma-separated: "+strings.Join(allRoles, ", ")+
		" (worker: transcription; web: review UI and record publishing; retention: deletes calls whose period ended; objections: honours objections to recording)")
	auditKey := auditKeyFlag(fs)
	// Read by serveWithWorkers, where the rules are loaded.
	fs.String("rules-guard", "", "folders of labelled calls (NAME.json with \"label\", NAME.txt), comma-separated: a rules reload that labels any clinical one administrative is refused and the old rules stay (see 'callscribe rules test'); empty: off")
	metricsAddr := fs.String("metrics", DefaultMetricsAddr, "serve Prometheus /metrics and /healthz on this address; empty: off")
	storeKey := fs.String("store-key-file", "", "encrypt the embedded server's store at rest with the key in this file (keep it outside the repository and the data folder); the same key is needed on every start")
	var rf retentionFlags
	rf.register(fs)
	var wtf watchFlags
	fs.StringVar(&wtf.dir, "watch", "", "run the watch role: ingest recordings dropped in this folder by a call recorder, as the recorder identity (see 'callscribe watch -h' and docs/watch.md); empty: off")
	wtf.register(fs, "watch-")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	wtf.maxDuration = ef.maxDuration
	if _, err := wtf.keepDir(); wtf.dir != "" && err != nil {
		return err
	}
	if *workers < 1 {
		return usageError{fmt.Errorf("-workers %d: need at least 1", *workers)}
	}
	if *setupOnly {
		if nf.url == "" {
			return usageError{errors.New("-setup-only lays out the streams of a NATS cluster named with -nats")}
		}
		if !nf.hasAuth() {
			creds, err := nf.keys()
			if err != nil {
				return err
			}
			if !creds.Has(pipeline.IdentitySetup) {
				return fmt.Errorf("-setup-only: no %s.nk in %s ('callscribe nats-conf -credentials DIR' makes it)", pipeline.IdentitySetup, nf.credentials)
			}
		}
		return setUp(ctx, &nf, &wf, servePlan{replicas: *replicas, auditKey: *auditKey}, newLogger(os.Stderr))
	}
	roles, err := parseRoles(*rolesFlag)
	if err != nil {
		return usageError{err}
	}
	if nf.url == "" && (nf.hasAuth() || nf.tlsCA != "" || nf.tlsCert != "" || nf.tlsKey != "") {
		return usageError{errors.New("-token, -creds, -nkey, -user and -tls-* are for a NATS server named with -nats; the embedded server always authenticates each component with its own key from -credentials")}
	}
	key, err := readKeyFile(*storeKey)
	if err != nil {
		return err
	}
	if nf.url == "" {
		if err := pipeline.CheckDataDir(*data); err != nil {
			return err
		}
		// Secure by default: the embedded server only admits callscribe's
		// own components, each with its own key and permissions.
		if nf.loaded, err = pipeline.EmbeddedCredentials(nf.credentials); err != nil {
			return err
		}
	}
	logger := newLogger(os.Stderr)
	plan := servePlan{data: *data, listen: *listen, port: *port, workers: *workers, ackWait: *ackWait,
		maxDeliver: *maxDeliver, grace: *grace, replicas: *replicas, storeKey: key, metrics: *metricsAddr, auditKey: *auditKey}
	if roles["worker"] {
		return serveWithWorkers(ctx, fs, &ef, serveConfig{nats: &nf, web: &wf, retention: &rf, watch: &wtf, roles: roles, plan: plan, log: logger})
	}
	return serveRoles(ctx, serveConfig{nats: &nf, web: &wf, retention: &rf, watch: &wtf, roles: roles, plan: plan, log: logger}, nil)
}

// servePlan is what serve's flags decided.
type servePlan struct {
	data, listen, storeKey string
	metrics, auditKey      string
	port, workers          int
	ackWait, grace         time.Duration
	maxDeliver, replicas   int
}

// serveConfig is everything serve's flags decided, in one value: the roles
// and how each is reached and configured.
type serveConfig struct {
	nats      *natsFlags
	web       *webFlags
	retention *retentionFlags
	// watch runs the watch role when its dir is set (-watch DIR).
	watch *watchFlags
	roles map[string]bool
	plan  servePlan
	log   zerolog.Logger
}

func serveWithWorkers(ctx context.Context, fs *flag.FlagSet, ef *engineFlags, sc serveConfig) error {
	plan, rf, logger := sc.plan, sc.retention, sc.log
	workers := &plan.workers
	if !flagSet(fs, "model") {
		if m, why := chooseModel(plan.data, ef.model, runtime.NumCPU(), ef.gpu); m != ef.model {
			logger.Info().Str("model", m).Str("why", why).Msg("chose the model")
			ef.model = m
		}
	}
	modelPath, err := models.ResolveFromOS(ef.model)
	if err != nil {
		return err
	}
	ef.model = modelPath
	switch {
	case !flagSet(fs, "workers") && !flagSet(fs, "threads"):
		cfg, why := chooseWorkers(plan.data, modelPath, runtime.NumCPU(), ef.gpu)
		*workers, ef.threads = cfg.Workers, cfg.Threads
		logger.Info().Int("workers", cfg.Workers).Int("threads", cfg.Threads).Str("why", why).Msg("chose workers and threads")
	case !flagSet(fs, "threads"):
		// ggml's threads spin while they wait: never give workers more
		// threads than there are cores.
		ef.threads = max(1, runtime.NumCPU() / *workers)
	}

	// Fail fast on the model and rules, before any call is taken. The rules
	// file is watched (and re-read on SIGHUP): a valid change applies from
	// the next call, an invalid one is refused and the old rules stay.
	rules, err := classify.NewReloader(ef.rules, logger.With().Str("component", "rules").Logger())
	if err != nil {
		return err
	}
	if err := guardRules(rules, fs.Lookup("rules-guard").Value.String(), logger); err != nil {
		return err
	}
	go rules.Run(ctx)
	engine, err := ef.openEngine(*workers, &logger)
	if err != nil {
		return err
	}
	defer engine.Close()
	logger.Info().Str("model", engine.Model()).Int64("model_load_ms", engine.LoadTime().Milliseconds()).
		Int("workers", *workers).Int("threads", ef.threads).Str("rules", rules.Current().Version()).
		Msg("worker role ready")

	sc.plan = plan // with the workers chosen above
	return serveRoles(ctx, sc, func(ctx context.Context, client *pipeline.Client, m *metrics) error {
		proc := process.New(ef.processConfig(), engine, rules.Current)
		observe := func(id string, out *process.Outcome) {
			m.observe(out.Decision.Label, out.Transcript.Duration, out.Times.Decode+out.Times.Transcribe+out.Times.Classify+out.Times.Confirm)
			appendAll(ctx, m.trail, logger,
				audit.Allow(serviceActor, audit.ActionRead, audit.Object{Kind: audit.KindRecording, ID: id}, audit.PurposeProcessing),
				audit.Allow(serviceActor, audit.ActionCreate, audit.Object{Kind: audit.KindTranscript, ID: id}, audit.PurposeProcessing),
				audit.Allow(serviceActor, audit.ActionCreate, audit.Object{Kind: audit.KindDecision, ID: id}, audit.PurposeProcessing))
		}
		w := &pipeline.Worker{
			Client:        client,
			Processor:     process.Pipeline{P: proc, Observe: observe},
			Concurrency:   *workers,
			AckWait:       plan.ackWait,
			MaxDeliver:    plan.maxDeliver,
			ShutdownGrace: plan.grace,
			// The transcript of an administrative call also expires on the
			// server itself when its retention period ends.
			AdministrativeTTL: rf.admin,
			Log:               logger,
			OnDeadLetter:      func(kind pipeline.ErrorKind) { m.deadLetter.WithLabelValues(string(kind)).Inc() },
		}
		return w.Run(ctx)
	})
}

// serveRoles starts the embedded server unless -nats names one, lays out
// the streams as the setup identity, and runs the roles, each connected as
// its own identity, until ctx ends or one of them fails. work is the worker
// role, nil when this process has none.
func serveRoles(ctx context.Context, sc serveConfig, work func(context.Context, *pipeline.Client, *metrics) error) error {
	nf, wf, rf, roles, plan, logger := sc.nats, sc.web, sc.retention, sc.roles, sc.plan, sc.log
	if nf.url == "" {
		srv, err := pipeline.StartEmbedded(ctx, pipeline.EmbeddedConfig{
			DataDir: plan.data, Host: plan.listen, Port: plan.port, Log: logger, EncryptionKey: plan.storeKey,
			Credentials: nf.loaded,
		})
		if err != nil {
			return err
		}
		defer srv.Shutdown()
		nf.url = srv.ClientURL()
	}
	if err := setUp(ctx, nf, wf, plan, logger); err != nil {
		return err
	}
	conns := &components{nf: nf, wf: wf, plan: plan, logger: logger}
	defer conns.close()

	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(nil); wg.Wait() }()
	run := func(role string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && !errors.Is(err, context.Canceled) {
				cancel(fmt.Errorf("%s role: %w", role, err))
			}
		}()
	}
	// Asked to stop while the roles were still connecting: not a failure
	// (the image check's SIGTERM came while the worker connected).
	startErr := func(err error) error {
		if parent.Err() != nil && errors.Is(err, context.Canceled) {
			logger.Info().Msg("stopped during start-up")
			return nil
		}
		return err
	}
	monitor, err := conns.client(ctx, pipeline.IdentityMonitor)
	if err != nil {
		return startErr(err)
	}
	m := newMetrics(monitor)
	conns.deliveries = m
	if roles["web"] {
		c, err := conns.open(ctx, pipeline.IdentityWeb)
		if err != nil {
			return startErr(err)
		}
		stopWeb, err := wf.start(ctx, c.store, c.trail, logger)
		if err != nil {
			return startErr(err)
		}
		defer stopWeb()
	}
	if roles["retention"] {
		c, err := conns.open(ctx, pipeline.IdentityRetention)
		if err != nil {
			return startErr(err)
		}
		run("retention", func(ctx context.Context) error { return rf.run(ctx, c.client, c.store, m.with(c.trail), logger) })
	}
	if roles["objections"] {
		c, err := conns.open(ctx, pipeline.IdentityObjections)
		if err != nil {
			return startErr(err)
		}
		run("objections", func(ctx context.Context) error {
			return serveObjections(ctx, c.client, c.store, m.with(c.trail), logger)
		})
	}
	if sc.watch != nil && sc.watch.dir != "" {
		// The watcher is the recorder's side: it submits as the recorder.
		c, err := conns.client(ctx, pipeline.IdentityRecorder)
		if err != nil {
			return startErr(err)
		}
		w, err := sc.watch.watcher(sc.watch.dir, c, newWatchMetrics(m.reg), logger)
		if err != nil {
			return startErr(err)
		}
		run("watch", w.Run)
	}
	if work != nil {
		c, err := conns.open(ctx, pipeline.IdentityWorker)
		if err != nil {
			return startErr(err)
		}
		run("worker", func(ctx context.Context) error { return work(ctx, c.client, m.with(c.trail)) })
	}
	// /healthz last: healthy means every role is connected.
	if plan.metrics != "" {
		run("metrics", func(ctx context.Context) error { return m.serve(ctx, plan.metrics, monitor, logger) })
	}
	logger.Info().Str("nats", pipeline.RedactURLs(nf.url)).Strs("roles", sortedRoles(roles)).
		Msg("serving: ingest with `callscribe ingest FILE.wav`, results on calls.transcribed.<id>")
	<-ctx.Done()
	wg.Wait()
	err = context.Cause(ctx)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	logger.Info().Msg("stopped")
	return err
}

// allRoles are the parts of serve that can run in separate processes.
var allRoles = []string{"worker", "web", "retention", "objections"}

func parseRoles(s string) (map[string]bool, error) {
	roles := map[string]bool{}
	for _, r := range strings.Split(s, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if !slices.Contains(allRoles, r) {
			return nil, fmt.Errorf("-roles: unknown role %q; known: %s", r, strings.Join(allRoles, ", "))
		}
		roles[r] = true
	}
	if len(roles) == 0 {
		return nil, fmt.Errorf("-roles: name at least one of %s", strings.Join(allRoles, ", "))
	}
	return roles, nil
}

func sortedRoles(roles map[string]bool) []string {
	var out []string
	for _, r := range allRoles {
		if roles[r] {
			out = append(out, r)
		}
	}
	return out
}

// readSecretFile reads a file that holds secrets (keys, passwords),
// refusing one that other users can read; what names it in errors.
func readSecretFile(what, path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s %s: readable by other users (mode %v); chmod 600 it", what, path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return b, nil
}

// readKeyFile reads the store's encryption key.
func readKeyFile(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := readSecretFile("store key", path)
	if err != nil {
		return "", err
	}
	key := strings.TrimSpace(string(b))
	if len(key) < 16 {
		return "", fmt.Errorf("store key %s: %d characters; use at least 16 (e.g. openssl rand -hex 32)", path, len(key))
	}
	return key, nil
}
