package process

import (
	"context"
	"fmt"
	"strings"

	"github.com/callscribe/callscribe/classify"
)

// needsSecondOpinion: calls about to be labelled administrative, and calls
// uncertain only because of weak clinical words.
func needsSecondOpinion(d classify.Decision) bool {
	return d.Label == classify.Administrative || d.Uncertainty == classify.UncertainWeak
}

// secondOpinion transcribes a call a second time, with the line's greeting
// as Whisper's prompt, before an administrative label (or an uncertain one
// resting on weak words) stands. The administrative label is the one that
// leads to deletion, and a single misheard word ("overdose" heard as
// "overalls") is enough to lose the only clinical evidence in a call; a
// decoding with different context mishears differently.
//
//   - If the second transcript holds clinical evidence, the call is
//     clinical, and that transcript, whose words the evidence cites, is kept.
//   - A call uncertain only because of weak words ("wandering", "shaking")
//     becomes administrative when the second transcript does not hear any
//     clinical word and is itself clearly administrative: the two
//     transcriptions disagree on a word with a common everyday sense.
//   - Otherwise the first transcript and label stand. Weak or doubtful
//     evidence in the second transcript is not acted on.
func (p *Processor) secondOpinion(ctx context.Context, id string, out *Outcome, rules *classify.Classifier, speakers []string) error {
	tr, err := p.transcribe(ctx, out.Audio, *p.cfg.Confirm, speakers)
	if err != nil {
		return fmt.Errorf("transcribe %s (second opinion): %w", id, err)
	}
	d := rules.Classify(tr)
	first := out.Decision
	switch {
	case d.Label == classify.Clinical && first.Label == classify.Administrative:
		d.Reasons = append([]string{"the first transcription held no clinical terms; a second one, made before labelling the call administrative, did"}, d.Reasons...)
	case d.Label == classify.Clinical:
		d.Reasons = append([]string{"a second transcription confirmed the clinical evidence that the first held only weakly"}, d.Reasons...)
	case d.Label == classify.Administrative && first.Uncertainty == classify.UncertainWeak:
		d.Reasons = append([]string{"the first transcription's only clinical words were weak ones (" + strings.Join(first.Reasons, "; ") +
			"); a second transcription did not hear them and heard no other clinical word"}, d.Reasons...)
	default:
		return nil
	}
	out.Transcript, out.Decision = tr, d
	return nil
}
