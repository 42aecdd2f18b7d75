//go:build !unix

package classify

import "os"

// notifyHangup: systems without SIGHUP reload on file changes only.
func notifyHangup() (<-chan os.Signal, func()) { return nil, func() {} }
