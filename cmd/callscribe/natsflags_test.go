package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/pipeline"
)

// natsFlagNames are the connection flags every client command takes.
var natsFlagNames = []string{"nats", "token", "user", "password", "creds", "nkey", "tls-ca", "tls-cert", "tls-key"}

func TestNATSFlagsRegisteredWithHelp(t *testing.T) {
	var nf natsFlags
	fs := newFlags("test", "")
	nf.register(fs, "nats://127.0.0.1:4222")
	for _, name := range natsFlagNames {
		f := fs.Lookup(name)
		if f == nil {
			t.Errorf("-%s not registered", name)
			continue
		}
		if strings.TrimSpace(f.Usage) == "" {
			t.Errorf("-%s has no help text", name)
		}
	}
}

func TestNATSFlagsFromCommandLineAndEnvironment(t *testing.T) {
	var nf natsFlags
	fs := newFlags("test", "")
	nf.register(fs, "")
	t.Setenv("CALLSCRIBE_TLS_CA", "/etc/callscribe/ca.pem")
	t.Setenv("CALLSCRIBE_PASSWORD", "from-env")
	err := parseFlags(fs, []string{"-nats", "nats://a:4222,nats://b:4222", "-user", "svc", "-tls-cert", "c.pem", "-tls-key", "k.pem", "-creds", "u.creds", "-nkey", "u.nk"})
	if err != nil {
		t.Fatal(err)
	}
	want := natsFlags{url: "nats://a:4222,nats://b:4222", user: "svc", password: "from-env", creds: "u.creds", nkey: "u.nk",
		tlsCA: "/etc/callscribe/ca.pem", tlsCert: "c.pem", tlsKey: "k.pem"}
	if nf.url != want.url || nf.user != want.user || nf.password != want.password || nf.creds != want.creds ||
		nf.nkey != want.nkey || nf.tlsCA != want.tlsCA || nf.tlsCert != want.tlsCert || nf.tlsKey != want.tlsKey {
		t.Errorf("flags %+v, want %+v", nf, want)
	}
	if got := pipeline.SplitURLs(nf.url); len(got) != 2 {
		t.Errorf("-nats split into %q", got)
	}
}

// A flag naming a file that is not there fails with the file's name, before
// anything is dialled.
func TestNATSFlagsBadFileNamed(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	for _, flag := range []string{"-creds", "-nkey", "-tls-ca"} {
		var nf natsFlags
		fs := newFlags("test", "")
		nf.register(fs, "nats://127.0.0.1:1")
		if err := parseFlags(fs, []string{flag, missing}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := nf.connect(ctx, "test", zerolog.Nop())
		cancel()
		if err == nil || !strings.Contains(err.Error(), missing) || strings.Contains(err.Error(), "refused") {
			t.Errorf("%s %s: %v", flag, missing, err)
		}
	}
}

// -nats takes the servers of a cluster: a dead one in the list does not
// stop the command.
func TestNATSFlagsServerList(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv, err := pipeline.StartEmbedded(ctx, pipeline.EmbeddedConfig{DataDir: t.TempDir(), Port: pipeline.RandomPort})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	var nf natsFlags
	fs := newFlags("test", "")
	nf.register(fs, "")
	if err := parseFlags(fs, []string{"-nats", "nats://127.0.0.1:1," + srv.ClientURL()}); err != nil {
		t.Fatal(err)
	}
	c, err := nf.connect(ctx, "test", zerolog.Nop())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer c.Close()
	if got := c.Conn().ConnectedUrl(); got != srv.ClientURL() {
		t.Errorf("connected to %s", got)
	}
}

// With nothing listening, a command says so and how to start the pipeline,
// not only what the NATS client saw; the password in the URL stays hidden.
func TestNoServerAnsweringSaysWhatToDo(t *testing.T) {
	// A real recording: ingest reads its header before connecting.
	for _, args := range [][]string{
		{"ingest", "-nats", "nats://svc:s3cret@127.0.0.1:1", wavHeaderDeclaring(t, 1)},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != 1 || !strings.Contains(stderr, "no callscribe serve or NATS server answers at nats://svc:xxxxx@127.0.0.1:1") ||
			!strings.Contains(stderr, "scripts/callscribe serve") || !strings.Contains(stderr, "-nats URL") || strings.Contains(stderr, "s3cret") {
			t.Errorf("%v: exit %d, stderr:\n%s", args, code, stderr)
		}
	}
}
