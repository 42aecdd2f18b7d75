//go:build race

package web_test

// raceDetector: the race detector multiplies memory use, so memory
// bounds are reported but not asserted.
const raceDetector = true
