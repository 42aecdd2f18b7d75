package classify

import "strings"

// Risk is how strongly a decision's evidence points at risk to the caller
// or others, for ordering and flagging calls in review: a duty clinician
// must see a call that mentions suicide before one about an appointment.
type Risk int

const (
	RiskNone Risk = iota
	// RiskPossible: only weak risk terms ("harm", "are you safe"), which
	// have everyday senses too.
	RiskPossible
	// RiskStated: a strong risk term (suicide, self-harm, overdose).
	RiskStated
)

// riskRulePrefix names the risk rules in the lexicon: every rule whose id
// starts with it holds self-harm, suicide or risk-to-others terms
// (rules/default.yaml, "risk" section). Rules ending in ".weak" hold the
// weight-0.5 terms, as everywhere in the lexicon.
const riskRulePrefix = "clin.risk."

// RiskOf rates the risk evidence among hits and names its categories (in
// the order first heard). Suppressed hits (idioms, place names) do not
// count; doubtful ones do, because a mention of suicide that Whisper barely
// understood still needs a person to listen first.
func RiskOf(hits []Hit) (Risk, []string) {
	r := RiskNone
	var cats []string
	seen := map[string]bool{}
	for _, h := range hits {
		if h.Suppressed || h.Class != Clinical || !strings.HasPrefix(h.RuleID, riskRulePrefix) {
			continue
		}
		level := RiskStated
		if strings.HasSuffix(h.RuleID, ".weak") {
			level = RiskPossible
		}
		r = max(r, level)
		if !seen[h.Category] {
			seen[h.Category] = true
			cats = append(cats, h.Category)
		}
	}
	return r, cats
}
