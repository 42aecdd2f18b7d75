package pipeline

import (
	"testing"
	"time"
)

// A stage entered twice counts both spells; each stage ends when the next
// begins, the last at the end.
func TestStageDurations(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	marks := []stageMark{
		{StageReading, t0},
		{StageTranscribing, t0.Add(1 * time.Second)},
		{StageClassifying, t0.Add(4 * time.Second)},
		{StageTranscribing, t0.Add(5 * time.Second)},
	}
	got := stageDurations(marks, t0.Add(7*time.Second))
	want := []stageTime{{StageReading, time.Second}, {StageTranscribing, 5 * time.Second}, {StageClassifying, time.Second}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("stage %d: got %v, want %v", i, got[i], want[i])
		}
	}
}
