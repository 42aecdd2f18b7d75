package watch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// processingDir holds each instance's claimed files, inside the drop folder
// so that a claim is a rename on one file system.
const processingDir = ".processing"

// MaxKeep is the longest a kept or quarantined recording may stay: the
// pipeline's retention period for recordings (4 weeks).
const MaxKeep = 28 * 24 * time.Hour

// Config says which folder to watch and what to do with what arrives.
type Config struct {
	Dir string
	// Instance names this watcher's claim folder (.processing/<Instance>).
	// Watchers sharing Dir must have distinct, stable names: a restarted
	// watcher finishes what it had claimed under its name.
	Instance string
	// AudioExts are the recording file extensions taken (".wav", ".mp3").
	AudioExts []string
	// Ignore are glob patterns (path.Match, on the base name) of files still
	// being written; hidden files (".name") are always ignored.
	Ignore []string
	// Settle is how long a file must keep the same size and modification
	// time before it is taken.
	Settle time.Duration
	// Grace is how long a recording waits for its sidecar (or a sidecar for
	// its recording) before it is quarantined.
	Grace time.Duration
	// Rescan is how often the folder is listed whatever fsnotify says.
	Rescan time.Duration
	// KeepDir, when set, receives ingested originals as <call ID>.<ext>
	// (After "move"); empty: they are deleted.
	KeepDir string
	// Quarantine receives files that cannot be ingested, each with a
	// <name>.reason.txt. Default: <Dir>/.quarantine.
	Quarantine string
	// KeepFor is how long kept and quarantined files stay (by modification
	// time) before the sweep deletes them; at most MaxKeep.
	KeepFor time.Duration
	// SweepEvery is how often Run sweeps the kept and quarantine folders.
	SweepEvery time.Duration
	// MaxDuration refuses longer recordings before upload (with Prober).
	MaxDuration time.Duration
	// Mapping reads XML and CSV sidecars.
	Mapping *Mapping
	// Prober, when set, checks each recording before upload; when nil the
	// worker checks the audio when it decodes it.
	Prober  Prober
	Metrics Metrics
	Log     zerolog.Logger
	// Now is the clock (tests set one); default time.Now.
	Now func() time.Time
}

// DefaultAudioExts are the formats call recorders deliver.
var DefaultAudioExts = []string{".wav", ".mp3", ".wma", ".m4a", ".mp4", ".aac", ".flac", ".ogg", ".opus", ".amr"}

// DefaultIgnore are the names FTP/SFTP clients and recorders write to
// before renaming: WinSCP's .filepart, .part, .tmp, ~temp.
var DefaultIgnore = []string{"*.part", "*.tmp", "*.filepart", "*.partial", "~*"}

// fill sets defaults and refuses what cannot work.
func (c *Config) fill() error {
	if c.Dir == "" {
		return errors.New("watch: no folder given")
	}
	if fi, err := os.Stat(c.Dir); err != nil {
		return fmt.Errorf("watch: %w", err)
	} else if !fi.IsDir() {
		return fmt.Errorf("watch: %s is not a folder", c.Dir)
	}
	if c.Instance == "" {
		h, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("watch: instance name: %w", err)
		}
		c.Instance = h
	}
	if strings.ContainsAny(c.Instance, `/\`) || strings.HasPrefix(c.Instance, ".") {
		return fmt.Errorf("watch: instance %q: a plain file name is needed", c.Instance)
	}
	exts := c.AudioExts
	if len(exts) == 0 {
		exts = DefaultAudioExts
	}
	c.AudioExts = make([]string, len(exts)) // normalised in a copy: the caller's slice (or the default) is shared
	for i, e := range exts {
		c.AudioExts[i] = "." + strings.TrimPrefix(strings.ToLower(e), ".")
	}
	if c.Ignore == nil {
		c.Ignore = DefaultIgnore
	}
	for _, p := range c.Ignore {
		if _, err := filepath.Match(p, "x"); err != nil {
			return fmt.Errorf("watch: ignore pattern %q: %w", p, err)
		}
	}
	if c.Rescan <= 0 {
		c.Rescan = 30 * time.Second
	}
	if c.SweepEvery <= 0 {
		c.SweepEvery = 10 * time.Minute
	}
	if c.Quarantine == "" {
		c.Quarantine = filepath.Join(c.Dir, ".quarantine")
	}
	if c.KeepFor <= 0 {
		c.KeepFor = MaxKeep
	}
	if c.KeepFor > MaxKeep {
		return fmt.Errorf("watch: keep-for %s: kept and quarantined recordings are patient data under the %s retention rule; at most that", c.KeepFor, MaxKeep)
	}
	if c.Mapping == nil {
		c.Mapping = DefaultMapping()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

func (c *Config) afterName() string {
	if c.KeepDir != "" {
		return "move:" + c.KeepDir
	}
	return "delete"
}

// ignored reports whether name is a file still being written or not ours.
func (c *Config) ignored(name string) bool {
	if strings.HasPrefix(name, ".") {
		return true
	}
	for _, p := range c.Ignore {
		if ok, _ := filepath.Match(p, name); ok {
			return true
		}
	}
	return false
}

// isAudio reports whether name is a recording.
func (c *Config) isAudio(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range c.AudioExts {
		if e == ext {
			return true
		}
	}
	return false
}
