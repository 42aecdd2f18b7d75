package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/pipeline"
)

// natsFlags say how a client command reaches the pipeline's NATS server or
// cluster, and how it proves who it is.
type natsFlags struct {
	url      string
	token    string
	user     string
	password string
	creds    string
	nkey     string
	tlsCA    string
	tlsCert  string
	tlsKey   string
	// credentials is the folder of the components' nkey seeds
	// (registerCredentials); loaded, once read.
	credentials string
	loaded      *pipeline.Credentials
	// extra are connection options set by the program, not by flags.
	extra []pipeline.Option
}

func (f *natsFlags) register(fs *flag.FlagSet, def string) {
	fs.StringVar(&f.url, "nats", def, "NATS server URL; for a cluster, several comma-separated (nats://a:4222,nats://b:4222,nats://c:4222) so any one of them can be lost")
	fs.StringVar(&f.token, "token", "", "NATS authentication token, if the server requires one")
	fs.StringVar(&f.user, "user", "", "NATS user name (with -password)")
	fs.StringVar(&f.password, "password", "", "NATS password for -user (prefer the environment variable to the command line, which other local users can see)")
	fs.StringVar(&f.creds, "creds", "", "NATS credentials file (user JWT and nkey seed, e.g. from nsc)")
	fs.StringVar(&f.nkey, "nkey", "", "file holding the NATS nkey user seed (SU...) to authenticate with")
	fs.StringVar(&f.tlsCA, "tls-ca", "", "PEM file of the CA(s) the NATS server's certificate must chain to; setting any -tls-* flag makes TLS mandatory")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "PEM client certificate for NATS servers that verify clients (with -tls-key)")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM private key of -tls-cert")
}

// options are the pipeline connection options the flags ask for. Checking
// them (one way to authenticate, files that exist and parse) is left to
// pipeline.Connect, which names the offending file.
func (f *natsFlags) options(name string, logger zerolog.Logger) []pipeline.Option {
	opts := []pipeline.Option{pipeline.WithName(name), pipeline.WithLogger(logger)}
	if f.token != "" {
		opts = append(opts, pipeline.WithToken(f.token))
	}
	if f.user != "" || f.password != "" {
		opts = append(opts, pipeline.WithUserPassword(f.user, f.password))
	}
	if f.creds != "" {
		opts = append(opts, pipeline.WithCredsFile(f.creds))
	}
	if f.nkey != "" {
		opts = append(opts, pipeline.WithNkeySeedFile(f.nkey))
	}
	if f.tlsCA != "" || f.tlsCert != "" || f.tlsKey != "" {
		opts = append(opts, pipeline.WithTLS(f.tlsCA, f.tlsCert, f.tlsKey))
	}
	opts = append(opts, f.extra...)
	return opts
}

// connect dials the pipeline. When nothing answers, the error says what to
// do about it rather than only what the NATS client saw.
func (f *natsFlags) connect(ctx context.Context, name string, logger zerolog.Logger) (*pipeline.Client, error) {
	c, err := pipeline.Connect(ctx, f.url, f.options(name, logger)...)
	if errors.Is(err, pipeline.ErrNoServer) {
		return nil, fmt.Errorf("no callscribe serve or NATS server answers at %s.\n"+
			"Start the pipeline with 'scripts/callscribe serve' (in another terminal), or point this command "+
			"at a running one with -nats URL (or CALLSCRIBE_NATS=URL)", pipeline.RedactURLs(f.url))
	}
	return c, err
}

// registerCredentials adds -credentials, for the commands that connect as
// one of callscribe's own identities (serve's components, ingest as the
// recorder).
func (f *natsFlags) registerCredentials(fs *flag.FlagSet) {
	home, _ := os.UserHomeDir()
	fs.StringVar(&f.credentials, "credentials", filepath.Join(home, ".config", "callscribe", "nats"),
		"folder of the components' NATS nkey seeds (<identity>.nk, 0600): serve makes them on its first start for the embedded server; "+
			"'callscribe nats-conf' makes them for a cluster. Used when no -token, -user, -creds or -nkey is given")
}

// hasAuth reports whether a credential was given on the command line.
func (f *natsFlags) hasAuth() bool {
	return f.token != "" || f.user != "" || f.password != "" || f.creds != "" || f.nkey != ""
}

// connectAs connects as one of callscribe's identities: with that
// identity's seed and private inbox from the credentials folder, unless
// the command line named a credential of its own (an operator-managed
// cluster's, e.g. from nsc).
func (f *natsFlags) connectAs(ctx context.Context, identity string, logger zerolog.Logger) (*pipeline.Client, error) {
	g := *f
	if !f.hasAuth() {
		creds, err := f.keys()
		if err != nil {
			// No key here: the server decides (nothing answering, or
			// refusing us, is the more useful error).
			c, cerr := g.connect(ctx, "callscribe-"+identity, logger)
			if cerr != nil {
				return nil, fmt.Errorf("%w\n(no key to connect as %s: %v; serve makes the keys on its first start, for a cluster 'callscribe nats-conf -credentials DIR')",
					cerr, identity, err)
			}
			return c, nil
		}
		g.extra = append(slices.Clone(f.extra), pipeline.WithIdentity(creds, identity))
	}
	return g.connect(ctx, "callscribe-"+identity, logger)
}

// keys are the identities' keys: those serve made for its embedded server,
// or else the seeds in -credentials, read once.
func (f *natsFlags) keys() (*pipeline.Credentials, error) {
	if f.loaded == nil {
		creds, err := pipeline.LoadCredentials(f.credentials)
		if err != nil {
			return nil, err
		}
		f.loaded = creds
	}
	return f.loaded, nil
}
