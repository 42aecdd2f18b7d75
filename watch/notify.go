package watch

import (
	"fmt"

	"github.com/fsnotify/fsnotify"
	"github.com/rs/zerolog"
)

// notify reports changes in dir as they happen, where the file system
// tells (inotify on local disks); network shares tell nothing, which is
// why Run also rescans. Events only prompt a scan: the scan decides.
func notify(dir string, log zerolog.Logger) (<-chan struct{}, func(), error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, nil, fmt.Errorf("watch: fsnotify: %w", err)
	}
	if err := fw.Add(dir); err != nil {
		fw.Close()
		return nil, nil, fmt.Errorf("watch: fsnotify %s: %w", dir, err)
	}
	out := make(chan struct{}, 1)
	go func() {
		for {
			select {
			case _, ok := <-fw.Events:
				if !ok {
					return
				}
				select {
				case out <- struct{}{}:
				default: // a scan is already due
				}
			case err, ok := <-fw.Errors:
				if !ok {
					return
				}
				log.Warn().Err(err).Msg("fsnotify error (overflow?): the periodic rescan still finds every file")
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out, func() { fw.Close() }, nil
}
