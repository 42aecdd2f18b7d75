package classify

import "strings"

// britishSpelling maps American spellings to the British ones used in the
// rules file, so a transcript (or a model) that writes "anesthetic",
// "behavior" or "hospitalized" matches a rule written "anaesthetic",
// "behaviour" or "hospitalised". Rules pass through the same mapping, so a
// rule may be written in either spelling.
func britishSpelling(w string) string {
	if w == "" {
		return w
	}
	switch w {
	case "mom", "moms", "mommy":
		return "mum" + strings.TrimPrefix(w, "mom")
	case "program", "programs":
		return "programme" + strings.TrimPrefix(w, "program")
	case "center", "centers":
		return "centre" + strings.TrimPrefix(w, "center")
	case "theater", "liter", "fiber":
		return w[:len(w)-2] + "re"
	case "defense", "offense", "license":
		return w[:len(w)-2] + "ce"
	case "gray":
		return "grey"
	}
	// American word starts that differ from the British ones, picked by
	// first letter so that most words are checked against none or a few.
	pairs := prefixesByLetter[w[0]]
	for _, p := range pairs {
		if rest, ok := strings.CutPrefix(w, p[0]); ok {
			return p[1] + rest
		}
	}
	return britishSuffix(w)
}

// britishPrefixes are American word starts and their British forms.
var britishPrefixes = [][2]string{
	{"anesth", "anaesth"}, {"anemi", "anaemi"}, {"apnea", "apnoea"},
	{"behavior", "behaviour"},
	{"color", "colour"}, {"counselor", "counsellor"}, {"counseling", "counselling"},
	{"counseled", "counselled"}, {"canceled", "cancelled"}, {"canceling", "cancelling"},
	{"diarrhe", "diarrhoe"}, {"dyspne", "dyspnoe"},
	{"esophag", "oesophag"}, {"estrogen", "oestrogen"}, {"edema", "oedema"},
	{"fetus", "foetus"}, {"fetal", "foetal"}, {"favor", "favour"},
	{"gynec", "gynaec"},
	{"hemorrh", "haemorrh"}, {"hemat", "haemat"}, {"hemo", "haemo"}, {"humor", "humour"}, {"honor", "honour"},
	{"leukem", "leukaem"}, {"labor", "labour"}, {"labeled", "labelled"}, {"labeling", "labelling"},
	{"maneuver", "manoeuvre"},
	{"neighbor", "neighbour"},
	{"orthoped", "orthopaed"},
	{"pediatr", "paediatr"},
	{"rumor", "rumour"},
	{"tumor", "tumour"}, {"traveled", "travelled"}, {"traveling", "travelling"}, {"traveler", "traveller"},
}

// prefixesByLetter indexes britishPrefixes by first letter, in order.
var prefixesByLetter = func() (t [256][][2]string) {
	for _, p := range britishPrefixes {
		t[p[0][0]] = append(t[p[0][0]], p)
	}
	return t
}()

// britishSuffix turns -ize/-yze verb families into -ise/-yse ("stabilized",
// "hospitalization", "analyze"), leaving words where "iz" is the root
// ("size", "prize", "seize", "citizen") alone.
func britishSuffix(w string) string {
	if len(w) <= 5 || strings.IndexByte(w, 'z') < 0 || strings.Contains(w, "size") || strings.HasSuffix(w, "prize") || strings.HasPrefix(w, "seiz") {
		return w
	}
	endings := []string{"izations", "ization", "izers", "izer", "izing", "izes", "ized", "ize"}
	for _, e := range endings {
		if stem, ok := strings.CutSuffix(w, e); ok {
			return stem + "is" + e[2:]
		}
	}
	for _, e := range []string{"yzing", "yzed", "yzes", "yze"} {
		if stem, ok := strings.CutSuffix(w, e); ok {
			return stem + "ys" + e[2:]
		}
	}
	return w
}
