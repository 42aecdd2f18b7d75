package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ErrDataInUse means another process holds the data folder's lock: a second
// embedded server on the same store would open it while it is live, and
// nats-server then "recovers" streams from files the first one is writing.
var ErrDataInUse = errors.New("data folder in use")

// lockFileName is the lock inside the data folder. It is an flock(2) lock on
// an open file, not the file's existence: the kernel drops it when the holder
// dies (kill -9, power loss), so a stale file never blocks a restart.
const lockFileName = "callscribe.lock"

// lockHolder is what the holder writes into the lock file, for the message a
// second process prints.
type lockHolder struct {
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
	Listen  string    `json:"listen,omitempty"`
}

// dataLock holds a data folder for one process until released.
type dataLock struct{ f *os.File }

// lockDataDir takes the data folder's lock or fails with ErrDataInUse,
// naming the process that holds it.
func lockDataDir(dir, listen string) (*dataLock, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		return nil, inUseError(dir, f)
	}
	b, _ := json.Marshal(lockHolder{PID: os.Getpid(), Started: time.Now().UTC(), Listen: listen})
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(append(b, '\n'), 0)
	}
	return &dataLock{f: f}, nil
}

// inUseError says who holds the lock and what to do instead.
func inUseError(dir string, f *os.File) error {
	who := "another process"
	var h lockHolder
	if b, err := os.ReadFile(f.Name()); err == nil && json.Unmarshal(b, &h) == nil && h.PID > 0 {
		who = fmt.Sprintf("callscribe serve (pid %d, started %s", h.PID, h.Started.Local().Format("2 Jan 15:04:05"))
		if h.Listen != "" {
			who += ", NATS on " + h.Listen
		}
		who += ")"
	}
	return fmt.Errorf("%w: %s is used by %s; stop it first, or give this serve its own -data folder", ErrDataInUse, dir, who)
}

// release drops the lock; the file stays for the next holder.
func (l *dataLock) release() {
	if l != nil && l.f != nil {
		_ = l.f.Close()
		l.f = nil
	}
}

// CheckDataDir fails with ErrDataInUse when a running process holds dir, so
// that serve can refuse before it spends seconds loading a model;
// StartEmbedded takes the lock for real.
func CheckDataDir(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, lockFileName)); err != nil {
		return nil // never used: nothing to hold it
	}
	l, err := lockDataDir(dir, "")
	if err != nil {
		return err
	}
	l.release()
	return nil
}
