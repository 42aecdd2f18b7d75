package attack_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// TestClusterAttacks replays attacks 1, 2 and 3 against a 3-node
// nats-server cluster whose users are the authorization block printed by
// 'callscribe nats-conf', with serve connected to all three nodes
// (-nats url1,url2,url3 -credentials DIR -replicas 3).
func TestClusterAttacks(t *testing.T) {
	if testing.Short() {
		t.Skip("3-node cluster and a second serve: slow (-short)")
	}
	dir := t.TempDir()
	creds := filepath.Join(dir, "creds")
	conf := exec.Command(binary, "nats-conf", "-credentials", creds)
	conf.Env = serveEnv(filepath.Join(dir, "home"))
	block, err := conf.Output()
	if err != nil {
		t.Fatalf("callscribe nats-conf: %v", err)
	}
	if strings.Contains(string(block), `"SU`) {
		t.Fatal("nats-conf printed a seed")
	}
	if err := os.WriteFile(filepath.Join(dir, "auth.conf"), block, 0o600); err != nil {
		t.Fatal(err)
	}

	const nodes = 3
	var client, route [nodes]int
	for i := range nodes {
		var err error
		if client[i], err = freePort(); err != nil {
			t.Fatal(err)
		}
		if route[i], err = freePort(); err != nil {
			t.Fatal(err)
		}
	}
	var urls []string
	var servers []*server.Server
	for i := range nodes {
		var routes []string
		for j := range nodes {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", route[j]))
			}
		}
		cfg := fmt.Sprintf("server_name: n%d\nlisten: 127.0.0.1:%d\njetstream { store_dir: %q }\n"+
			"cluster { name: callscribe-attack, listen: 127.0.0.1:%d, routes: [%s] }\ninclude ./auth.conf\n",
			i+1, client[i], filepath.Join(dir, fmt.Sprintf("n%d", i+1)), route[i], strings.Join(routes, ", "))
		path := filepath.Join(dir, fmt.Sprintf("n%d.conf", i+1))
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		opts, err := server.ProcessConfigFile(path)
		if err != nil {
			t.Fatalf("nats-server refuses the configuration with nats-conf's block: %v", err)
		}
		opts.NoLog, opts.NoSigs = true, true
		srv, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		go srv.Start()
		t.Cleanup(srv.Shutdown)
		servers = append(servers, srv)
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", client[i]))
	}
	for _, srv := range servers {
		if !srv.ReadyForConnections(20 * time.Second) {
			t.Fatal("cluster node not ready")
		}
	}
	waitFor(t, "cluster: JetStream meta leader elected with all three peers current", func() bool {
		for _, srv := range servers {
			if !srv.JetStreamIsLeader() {
				continue
			}
			jsz, err := srv.Jsz(nil)
			if err != nil || jsz.Meta == nil || len(jsz.Meta.Replicas) != nodes-1 {
				return false
			}
			for _, p := range jsz.Meta.Replicas {
				if !p.Current || p.Offline {
					return false
				}
			}
			return true
		}
		return false
	})

	// The deployment step, where serve has it: lay out the streams with
	// setup.nk, then give the serving host a folder without it.
	serveDir := filepath.Join(dir, "serve")
	runtime := creds
	if help, _ := exec.Command(binary, "serve", "-h").CombinedOutput(); strings.Contains(string(help), "-setup-only") {
		home := filepath.Join(serveDir, "home")
		if err := os.MkdirAll(home, 0o700); err != nil {
			t.Fatal(err)
		}
		setup := exec.Command(binary, "serve", "-setup-only", "-nats", strings.Join(urls, ","), "-credentials", creds, "-replicas", fmt.Sprint(nodes))
		setup.Env = serveEnv(home)
		if out, err := setup.CombinedOutput(); err != nil {
			t.Fatalf("serve -setup-only: %v: %s", err, lastLine(string(out)))
		}
		runtime = filepath.Join(dir, "creds-host")
		if err := os.MkdirAll(runtime, 0o700); err != nil {
			t.Fatal(err)
		}
		seeds, _ := filepath.Glob(filepath.Join(creds, "*.nk"))
		for _, f := range seeds {
			if filepath.Base(f) == "setup.nk" {
				continue
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(runtime, filepath.Base(f)), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("deployment step: 'serve -setup-only' laid out the streams; the serving host's folder has every seed but setup.nk")
	}
	s, err := startServe(serveDir, serveOptions{natsURLs: strings.Join(urls, ","), credsDir: runtime, replicas: nodes})
	if s != nil {
		t.Cleanup(s.stop)
	}
	if err != nil {
		if s != nil {
			t.Logf("serve's log:\n%s", s.logTail(3000))
		}
		t.Fatalf("serve on the cluster: %v", err)
	}

	// Control: serve laid out its streams on all three nodes.
	web := dialAs(t, s, "web")
	for _, st := range []string{"CALLS", "RESULTS", "AUDIT", "KV_REVIEW"} {
		info := streamInfo(t, web, st)
		if info.Config.Replicas != nodes || info.Cluster == nil || len(info.Cluster.Replicas) != nodes-1 {
			t.Fatalf("control: stream %s has %d replicas (cluster %+v): not the 3-node layout the attacks are meant for", st, info.Config.Replicas, info.Cluster)
		}
	}

	t.Run("attack1-anonymous", func(t *testing.T) {
		for _, u := range urls {
			playAnonymous(t, s, u)
		}
	})
	t.Run("attack2-stolen-recorder-seed", func(t *testing.T) {
		playStolenRecorder(t, s, s.transcribedCall(t, "cl2"))
	})
	t.Run("attack2-streams", func(t *testing.T) {
		s.transcribedCall(t, "cl2s")
		playStreamAdmin(t, s)
	})
	t.Run("attack3-forged-results", func(t *testing.T) { playForged(t, s) })
}
