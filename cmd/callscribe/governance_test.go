package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
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

// serve without the worker role needs no Whisper: the objection and
// retention roles run on their own, and 'callscribe object' reaches them.
func TestServeRolesObjectCommandErasesQueuedCall(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	port, mport := freePort(t), freePort(t)
	url := "nats://127.0.0.1:" + strconv.Itoa(port)
	maddr := "127.0.0.1:" + strconv.Itoa(mport)
	done := make(chan error, 1)
	go func() {
		done <- cmdServe(ctx, []string{"-roles", "objections,retention", "-web", "", "-data", t.TempDir(),
			"-port", strconv.Itoa(port), "-metrics", maddr, "-audit-key", filepath.Join(t.TempDir(), "audit.key")}, &bytes.Buffer{})
	}()
	var c *pipeline.Client
	deadline := time.Now().Add(20 * time.Second)
	for {
		var err error
		cctx, ccancel := context.WithTimeout(ctx, time.Second)
		c, err = pipeline.Connect(cctx, url)
		ccancel()
		if err == nil {
			if _, err = c.JetStream().KeyValue(ctx, pipeline.BucketState); err == nil {
				break
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not come up: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	defer c.Close()

	if _, err := c.Ingest(ctx, meta("obj-cli-1"), strings.NewReader("RIFF audio bytes")); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := cmdObject(ctx, []string{"-nats", url, "obj-cli-1"}, &out); err == nil || !errors.As(err, new(usageError)) {
		t.Errorf("object without -by: %v, want a usage error", err)
	}
	var err error
	for range 50 { // the objection role subscribes asynchronously
		out.Reset()
		if err = cmdObject(ctx, []string{"-nats", url, "-by", "h-042", "-reason", "call back without recording", "obj-cli-1"}, &out); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("object: %v", err)
	}
	if !strings.Contains(out.String(), "recording true, 1 queued") {
		t.Errorf("object printed %q, want the recording and the queued call erased", out.String())
	}
	st, err := c.State(ctx, "obj-cli-1")
	if err != nil || st.State != pipeline.StateObjected || st.By != "h-042" {
		t.Errorf("state after objection: %+v, %v", st, err)
	}
	if _, err := c.Recording(ctx, "obj-cli-1"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("recording after objection: %v", err)
	}

	// The objection is in the audit trail, without content.
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

	// A subject access export as the DPO: the queued call's recording is in
	// it, and the export is in the audit trail.
	sm := meta("sar-1")
	sm.NHSNumber = "9434765919"
	if _, err := c.Ingest(ctx, sm, strings.NewReader("RIFF sar audio")); err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(t.TempDir(), "sar.zip")
	out.Reset()
	if err := cmdSAR(ctx, []string{"-nats", url, "-nhs-number", "943 476 5919", "-out", zipPath, "-as", "dpo.jones",
		"-audit-key", filepath.Join(t.TempDir(), "dpo-audit.key")}, &out); err != nil {
		t.Fatalf("sar: %v", err)
	}
	if !strings.Contains(out.String(), "1 call(s) exported") {
		t.Errorf("sar printed %q", out.String())
	}
	if err := cmdSAR(ctx, []string{"-nats", url, "-nhs-number", "9434765919", "-out", zipPath}, &out); err == nil {
		t.Error("sar overwrote an existing export")
	}
	entries, err = trail.Query(ctx, audit.Actor{User: "test", Role: roles.Auditor}, audit.Filter{ObjectID: "sar-1", Action: audit.ActionExport})
	if err != nil || len(entries) != 1 || entries[0].Event.User != "dpo.jones" || entries[0].Event.Purpose != audit.PurposeSubjectAccess {
		t.Errorf("audit of the export: %+v, %v", entries, err)
	}

	// The metrics count the objection; the health check passes.
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
	out.Reset()
	if err := cmdHealth(ctx, []string{"-metrics", maddr}, &out); err != nil || !strings.Contains(out.String(), "ok") {
		t.Errorf("health: %q, %v", out.String(), err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
	if err := cmdHealth(context.Background(), []string{"-metrics", maddr}, &out); err == nil {
		t.Error("health passed after serve stopped")
	}
}
