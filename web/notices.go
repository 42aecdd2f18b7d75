package web

// notice is the text the call page shows for a ?msg= code that a redirect
// after an action carries, "" for any other value. Only these fixed texts
// are ever shown: the query string is whoever wrote the link's, and
// echoing it let a crafted link put any sentence on a call page under the
// trust's banner (content spoofing, issue 12).
func notice(code string) string {
	switch code {
	case "confirmed", "rejected", "triaged":
		return code
	case "objection-recorded":
		return "objection recorded"
	}
	return ""
}
