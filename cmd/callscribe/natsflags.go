package main

import (
	"context"
	"flag"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/pipeline"
)

// natsFlags say how a client command reaches the pipeline's NATS server.
type natsFlags struct {
	url   string
	token string
	// extra are connection options set by the program, not by flags
	// (serve's own credentials for its embedded server).
	extra []nats.Option
}

func (f *natsFlags) register(fs *flag.FlagSet, def string) {
	fs.StringVar(&f.url, "nats", def, "NATS server URL")
	fs.StringVar(&f.token, "token", "", "NATS authentication token, if the server requires one")
}

func (f *natsFlags) connect(ctx context.Context, name string, logger zerolog.Logger) (*pipeline.Client, error) {
	opts := []pipeline.Option{pipeline.WithName(name), pipeline.WithLogger(logger)}
	if f.token != "" {
		opts = append(opts, pipeline.WithToken(f.token))
	}
	if len(f.extra) > 0 {
		opts = append(opts, pipeline.WithNATSOptions(f.extra...))
	}
	return pipeline.Connect(ctx, f.url, opts...)
}
