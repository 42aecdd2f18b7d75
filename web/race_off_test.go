//go:build !race

package web_test

// raceDetector: see race_on_test.go.
const raceDetector = false
