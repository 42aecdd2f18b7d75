package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/roles"
)

// freePort asks the kernel for a port nobody is using.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// serve without the worker role needs no Whisper: the web, objection and
// retention roles run on their own, and 'callscribe object' and 'sar'
// reach the erasure and the export through the web UI's API, as the
// signed-in person, never through NATS.
func TestServeRolesObjectCommandErasesQueuedCall(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	port, mport, wport := freePort(t), freePort(t), freePort(t)
	url := "nats://127.0.0.1:" + strconv.Itoa(port)
	maddr := "127.0.0.1:" + strconv.Itoa(mport)
	webURL := "http://127.0.0.1:" + strconv.Itoa(wport)
	accounts := filepath.Join(t.TempDir(), "accounts.json")
	data, _ := json.Marshal(testAccounts(t))
	if err := os.WriteFile(accounts, data, 0o600); err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(t.TempDir(), "nats")
	done := make(chan error, 1)
	go func() {
		done <- cmdServe(ctx, []string{"-roles", "web,objections,retention", "-web", "127.0.0.1:" + strconv.Itoa(wport),
			"-web-accounts", accounts, "-data", t.TempDir(), "-port", strconv.Itoa(port), "-metrics", maddr,
			"-audit-key", filepath.Join(t.TempDir(), "audit.key"), "-credentials", creds}, &bytes.Buffer{})
	}()
	// The test submits as the call recorder and looks as the web component.
	c := waitForServe(ctx, t, url, webURL, creds, pipeline.IdentityWeb)
	defer c.Close()
	rec := waitForServe(ctx, t, url, webURL, creds, pipeline.IdentityRecorder)
	defer rec.Close()

	if _, err := rec.Ingest(ctx, meta("obj-cli-1"), strings.NewReader("RIFF audio bytes")); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "object", "obj-cli-1"); code != 1 || !strings.Contains(errOut, "not signed in: run 'callscribe login'") {
		t.Errorf("object before signing in: exit %d, %s", code, errOut)
	}
	signIn(t, webURL, "h-042")
	if code, _, errOut := runCLI(t, "object", "-by", "someone-else", "obj-cli-1"); code != 2 || !strings.Contains(errOut, "-by") {
		t.Errorf("object -by: exit %d, %s; want the flag refused", code, errOut)
	}
	code, out, errOut := runCLI(t, "object", "-reason", "call back without recording", "obj-cli-1")
	if code != 0 || !strings.Contains(out, "objection recorded by h-042; erased: recording true, 1 queued") {
		t.Fatalf("object: exit %d\n%s%s", code, out, errOut)
	}
	st, err := c.State(ctx, "obj-cli-1")
	if err != nil || st.State != pipeline.StateObjected || st.By != "h-042" {
		t.Errorf("state after objection: %+v, %v", st, err)
	}
	if _, err := c.Recording(ctx, "obj-cli-1"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("recording after objection: %v", err)
	}

	// The objection is in the audit trail under the signed-in name.
	trail, err := audit.Bind(ctx, c, audit.Config{})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := trail.Query(ctx, audit.Actor{User: "test", Role: roles.Auditor}, audit.Filter{ObjectID: "obj-cli-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 || entries[0].Event.Action != audit.ActionDelete || entries[0].Event.Purpose != audit.PurposeObjection || entries[0].Event.User != "h-042" {
		t.Errorf("audit entries for the objection: %+v", entries)
	}

	// A subject access export: refused to admin staff, made for the DPO,
	// with the queued call's recording in it and the export in the trail.
	sm := meta("sar-1")
	sm.NHSNumber = "9434765919"
	if _, err := rec.Ingest(ctx, sm, strings.NewReader("RIFF sar audio")); err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(t.TempDir(), "sar.zip")
	if code, _, errOut := runCLI(t, "sar", "-nhs-number", "9434765919", "-out", zipPath); code != 1 ||
		!strings.Contains(errOut, "your role admin may not export") {
		t.Errorf("sar as admin: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(zipPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused export left %s: %v", zipPath, err)
	}
	signIn(t, webURL, "dpo.jones")
	code, out, errOut = runCLI(t, "sar", "-nhs-number", "943 476 5919", "-out", zipPath)
	if code != 0 || !strings.Contains(out, "1 call(s) exported") {
		t.Fatalf("sar: exit %d\n%s%s", code, out, errOut)
	}
	if zipData, err := os.ReadFile(zipPath); err != nil || !bytes.HasPrefix(zipData, []byte("PK")) {
		t.Errorf("export file: %v, want a zip", err)
	}
	if code, _, _ := runCLI(t, "sar", "-nhs-number", "9434765919", "-out", zipPath); code == 0 {
		t.Error("sar overwrote an existing export")
	}
	entries, err = trail.Query(ctx, audit.Actor{User: "test", Role: roles.Auditor}, audit.Filter{ObjectID: "sar-1", Action: audit.ActionExport})
	if err != nil || len(entries) != 1 || entries[0].Event.User != "dpo.jones" || entries[0].Event.Purpose != audit.PurposeSubjectAccess {
		t.Errorf("audit of the export: %+v, %v", entries, err)
	}

	// The metrics count the objection (the web passed it on to the
	// objections component on the bus); the health check passes.
	resp, err := http.Get("http://" + maddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"callscribe_objections_total 1", "callscribe_queue_depth 1", "callscribe_build_info{", "callscribe_retention_deletions_total 0"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	var hout bytes.Buffer
	if err := cmdHealth(ctx, []string{"-metrics", maddr}, &hout); err != nil || !strings.Contains(hout.String(), "ok") {
		t.Errorf("health: %q, %v", hout.String(), err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
	if err := cmdHealth(context.Background(), []string{"-metrics", maddr}, &hout); err == nil {
		t.Error("health passed after serve stopped")
	}
}

// waitForServe waits until serve's NATS server has the streams and its web
// UI answers, and returns a client of the test's own on the server.
// waitForServe connects as identity (its seed from the folder serve makes
// them in) once serve has laid out the streams and its web UI answers.
func waitForServe(ctx context.Context, t *testing.T, url, webURL, credsDir, identity string) *pipeline.Client {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var c *pipeline.Client
		creds, err := pipeline.LoadCredentials(credsDir)
		if err == nil {
			cctx, ccancel := context.WithTimeout(ctx, time.Second)
			c, err = pipeline.Connect(cctx, url, pipeline.WithIdentity(creds, identity))
			ccancel()
		}
		if err == nil {
			if _, err = c.State(ctx, "probe-1"); err == nil || errors.Is(err, pipeline.ErrNotFound) {
				var resp *http.Response
				if resp, err = http.Get(webURL + "/login"); err == nil {
					resp.Body.Close()
					return c
				}
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not come up: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A review UI whose port is taken must stop serve at start with the
// reason, not leave it running without its UI (as it once did).
func TestServeStopsWhenUIPortIsBusy(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = cmdServe(ctx, []string{"-roles", "web", "-web", busy.Addr().String(), "-data", t.TempDir(),
		"-port", strconv.Itoa(freePort(t)), "-metrics", "", "-web-accounts", filepath.Join(t.TempDir(), "accounts.json"),
		"-audit-key", filepath.Join(t.TempDir(), "audit.key"), "-credentials", filepath.Join(t.TempDir(), "nats")}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("serve with its UI port taken: %v, want an 'address already in use' error", err)
	}
	if ctx.Err() != nil {
		t.Fatal("serve ran until the test's deadline instead of stopping")
	}
}
