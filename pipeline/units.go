package pipeline

import "time"

// msec is d in milliseconds, to the microsecond, for log fields whose
// names end in _ms: a duration in a log says its unit in its name.
func msec(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
