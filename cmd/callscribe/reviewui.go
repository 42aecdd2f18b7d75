package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/record"
	"github.com/callscribe/callscribe/review"
	"github.com/callscribe/callscribe/web"
)

// The review UI learns the transcription backlog from the pipeline's client.
var _ web.Backlog = (*pipeline.Client)(nil)

// webFlags configure the review UI that serve runs beside the workers.
type webFlags struct {
	addr, accounts, cert, key, baseURL string
	fhirServer, fhirToken              string
	fhirIDBase, fhirStaffSystem        string
	fhirCreatePatient                  bool
	fhirEscalate                       time.Duration
	oidc                               web.OIDCConfig
	oidcRoles                          string
	idle                               time.Duration
	insecureCookies, insecureHTTP      bool
}

func (f *webFlags) register(fs *flag.FlagSet) {
	home, _ := os.UserHomeDir()
	fs.StringVar(&f.addr, "web", "127.0.0.1:8080", "serve the clinicians' review UI on this address; empty: no UI")
	fs.StringVar(&f.accounts, "web-accounts", filepath.Join(home, ".config", "callscribe", "accounts.json"),
		"local accounts (argon2id hashes); created on first start with one account per role, passwords in FILE.initial-passwords")
	fs.StringVar(&f.cert, "web-cert", "", "TLS certificate for the review UI (with -web-key); without it the UI speaks plain HTTP")
	fs.StringVar(&f.key, "web-key", "", "TLS key for the review UI")
	fs.StringVar(&f.baseURL, "web-url", "", "public URL of the review UI (https://HOST); FHIR identifiers default to URLs under it")
	fs.StringVar(&f.fhirServer, "fhir-server", "", "also deliver confirmed records to this FHIR R4 server base URL (one transaction per record, idempotent, retried with back-off until accepted)")
	fs.StringVar(&f.fhirToken, "fhir-token", "", "bearer token for -fhir-server")
	fs.StringVar(&f.fhirIDBase, "fhir-id-base", "", "namespace (absolute http(s) URL) of the identifiers records carry: record, call, recording, device; default WEB-URL/id")
	fs.StringVar(&f.fhirStaffSystem, "fhir-staff-system", "", "identifier system of clinicians' IDs in records, e.g. https://fhir.nhs.uk/Id/sds-user-id or https://fhir.hl7.org.uk/Id/gmc-number; default FHIR-ID-BASE/staff (local account IDs)")
	fs.BoolVar(&f.fhirCreatePatient, "fhir-create-patient", false, "create a minimal Patient (NHS number only) when the FHIR server has none; off: the record waits as \"patient not found in the record system\"")
	fs.DurationVar(&f.fhirEscalate, "fhir-escalate-after", 24*time.Hour, "mark a record whose patient is still not found after this long as escalated (error log, metric)")
	fs.StringVar(&f.oidc.Issuer, "oidc-issuer", "", "also offer sign-in through this OpenID Connect provider (issuer URL)")
	fs.StringVar(&f.oidc.ClientID, "oidc-client-id", "", "OIDC client ID")
	fs.StringVar(&f.oidc.ClientSecret, "oidc-client-secret", "", "OIDC client secret")
	fs.StringVar(&f.oidc.RedirectURL, "oidc-redirect", "", "OIDC redirect URL registered with the provider: https://HOST/login/oidc/callback")
	fs.StringVar(&f.oidc.RoleClaim, "oidc-role-claim", "roles", "ID-token claim with the user's roles or groups")
	fs.StringVar(&f.oidcRoles, "oidc-roles", "", "claim value to role, e.g. 'spa-clinicians=clinician,spa-admin=admin'; empty: values are role names")
	fs.StringVar(&f.oidc.Label, "oidc-label", "", "text of the identity-provider sign-in button")
	fs.DurationVar(&f.idle, "web-idle", web.DefaultIdleTimeout, "sign out a review UI session after this long without activity")
	fs.BoolVar(&f.insecureCookies, "web-insecure-cookies", false, "drop the Secure cookie attribute (plain HTTP on a host other than localhost; development only)")
	fs.BoolVar(&f.insecureHTTP, "web-insecure-http", false, "allow -web on a non-loopback address without -web-cert/-web-key (a TLS-terminating proxy in front); logged as a warning at every start")
}

// start runs the review store (results → proposals, pending record
// deliveries) and the UI until ctx ends or stop is called; stop also waits
// for them to finish. With no -web it does nothing.
// openStore opens the review store (REVIEW bucket, RECORDS stream) with
// the record settings from the flags.
func (f *webFlags) openStore(ctx context.Context, client *pipeline.Client, replicas int, counters reviewCounters, logger zerolog.Logger) (*review.Store, error) {
	// replicas 0: bind to the bucket setUp laid out (as openAudit does).
	ids, err := f.namespace(logger)
	if err != nil {
		return nil, err
	}
	cfg := review.Config{IDs: ids, Log: logger, Replicas: replicas, Bind: replicas == 0,
		CreatePatient: f.fhirCreatePatient, EscalateAfter: f.fhirEscalate}
	if counters != nil {
		cfg.Deliveries, cfg.Outcomes = counters, counters
	}
	if f.fhirServer != "" {
		cfg.FHIRServer = &record.Poster{BaseURL: f.fhirServer}
		if f.fhirToken != "" {
			cfg.FHIRServer.Header = http.Header{"Authorization": {"Bearer " + f.fhirToken}}
		}
	}
	return review.Open(ctx, client, cfg)
}

// namespace is where records' identifiers live: -fhir-id-base, else under
// -web-url, else under the UI's listening address (with a warning: such
// identifiers mean nothing outside this host).
func (f *webFlags) namespace(logger zerolog.Logger) (record.Namespace, error) {
	ns := record.Namespace{Base: strings.TrimRight(f.fhirIDBase, "/"), Staff: f.fhirStaffSystem}
	if ns.Base == "" {
		base := f.baseURL
		if base == "" {
			scheme := "http://"
			if f.cert != "" {
				scheme = "https://"
			}
			base = scheme + f.addr
			if f.addr == "" {
				base = "http://localhost"
			}
			logger.Warn().Str("fhir_id_base", base+"/id").Msg("records' identifiers are under a local address; set -web-url or -fhir-id-base to the trust's own")
		}
		ns.Base = record.NamespaceUnder(base).Base
	}
	if err := ns.Check(); err != nil {
		return ns, usageError{fmt.Errorf("-fhir-id-base/-fhir-staff-system: %w", err)}
	}
	return ns, nil
}

func (f *webFlags) start(ctx context.Context, store *review.Store, trail *audit.Log, logger zerolog.Logger) (stop func(), err error) {
	if f.addr == "" {
		return func() {}, nil
	}
	if err := f.checkTransport(logger); err != nil {
		return nil, err
	}
	accts, created, err := web.LoadOrCreateAccounts(f.accounts)
	if err != nil {
		return nil, err
	}
	if created {
		logger.Warn().Str("file", f.accounts+".initial-passwords").Msg("review UI accounts created; initial passwords are in this file: hand them out, then delete it")
	}
	wcfg := web.Config{Store: store, Accounts: accts, Log: logger, IdleTimeout: f.idle, InsecureCookies: f.insecureCookies, Audit: trail,
		Backlog: store.Pipeline()}
	wireAPI(&wcfg, store, trail)
	if f.oidc.Issuer != "" {
		oc := f.oidc
		oc.RoleMap = map[string]string{}
		for _, pair := range strings.Split(f.oidcRoles, ",") {
			if pair = strings.TrimSpace(pair); pair == "" {
				continue
			}
			k, v, ok := strings.Cut(pair, "=")
			if !ok {
				return nil, usageError{fmt.Errorf("-oidc-roles %q: want claim=role pairs", pair)}
			}
			oc.RoleMap[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		wcfg.OIDC = &oc
	}
	ui, err := web.New(wcfg)
	if err != nil {
		return nil, err
	}
	ln, err := web.Listen(f.addr, f.cert, f.key)
	if err != nil {
		return nil, err
	}
	logger.Info().Str("addr", f.addr).Bool("tls", f.cert != "").Str("component", "web").Msg("review UI listening")
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		if err := store.Follow(ctx); err != nil && ctx.Err() == nil {
			logger.Error().Err(err).Msg("review: following results stopped")
		}
	}()
	go func() {
		defer wg.Done()
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			if err := store.PublishPending(ctx); err != nil && ctx.Err() == nil {
				logger.Error().Err(err).Msg("review: pending records not published")
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	go func() {
		defer wg.Done()
		if err := ui.Serve(ctx, ln); err != nil {
			logger.Error().Err(err).Msg("review UI stopped")
		}
	}()
	return func() { cancel(); wg.Wait() }, nil
}
