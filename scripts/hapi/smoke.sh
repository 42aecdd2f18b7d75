#!/usr/bin/env bash
# smoke.sh — checks, against a running server, the HAPI FHIR behaviour that the
# project's Go tests rely on (record/, review/). Exits non-zero at the first
# failed check; prints each observed status and diagnostics on stderr.
#
#   scripts/hapi/smoke.sh [BASE_URL]     default: http://127.0.0.1:8091/fhir
#   e.g. scripts/hapi/smoke.sh "$(scripts/hapi.sh start)"
#
# Rerunnable against the same server: the call identifier and the Provenance id
# are new on each run; the Patient is created conditionally.
set -euo pipefail

B="${1:-http://127.0.0.1:8091/fhir}"
NHS_SYS="https://fhir.nhs.uk/Id/nhs-number"
NHS="9434765919"
UNKNOWN_NHS="9999999999"
CALL_SYS="https://callscribe.nhs.uk/Id/call"
RUN="$(date +%s%N)"
CALL="call-$RUN"
PROV="callscribe-$RUN"
CT='Content-Type: application/fhir+json'
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

ok() { echo "ok   $*" >&2; }
fail() {
	echo "FAIL $*" >&2
	exit 1
}

# req METHOD PATH [BODY] [extra curl args...]: body to $TMP/out, status to stdout.
req() {
	local m="$1" p="$2" body="${3:-}"
	shift 3 2>/dev/null || shift $#
	if [[ -n "$body" ]]; then
		curl -sS -o "$TMP/out" -w '%{http_code}' -X "$m" -H "$CT" --data-binary "$body" "$@" "$B$p"
	else
		curl -sS -o "$TMP/out" -w '%{http_code}' -X "$m" "$@" "$B$p"
	fi
}
out() { jq -r "$1" "$TMP/out"; }
count() { # count QUERY: Bundle.total of QUERY&_summary=count
	[[ "$(req GET "$1&_summary=count")" == 200 ]] || fail "GET $1 -> $(cat "$TMP/out")"
	out .total
}

# A transaction: conditional create of a DocumentReference whose subject is a
# conditional reference to the Patient, and a PUT of a client-assigned Provenance.
tx() { # tx NHS_NUMBER CALL_ID PROVENANCE_ID [extra DocumentReference.type coding JSON]
	cat <<EOF
{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:9a6c2b44-0f6e-4a3c-9d0b-1f2e3d4c5b6a",
  "resource":{"resourceType":"DocumentReference",
   "identifier":[{"system":"$CALL_SYS","value":"$2"}],
   "status":"current",
   "type":{"coding":[{"system":"http://loinc.org","code":"34748-4","display":"Telephone encounter Note"}${4:-}]},
   "subject":{"reference":"Patient?identifier=$NHS_SYS|$1"},
   "content":[{"attachment":{"contentType":"text/plain","data":"aGVsbG8="}}]},
  "request":{"method":"POST","url":"DocumentReference","ifNoneExist":"identifier=$CALL_SYS|$2"}},
 {"fullUrl":"urn:uuid:5d1f0c1e-8a7b-4c3d-9e2f-0a1b2c3d4e5f",
  "resource":{"resourceType":"Provenance","id":"$3",
   "target":[{"reference":"urn:uuid:9a6c2b44-0f6e-4a3c-9d0b-1f2e3d4c5b6a"}],
   "recorded":"2026-01-01T10:00:00Z","agent":[{"who":{"display":"callscribe"}}]},
  "request":{"method":"PUT","url":"Provenance/$3"}}
]}
EOF
}
statuses() { out '[.entry[].response.status] | join(",")'; }
issues() { out '.issue[]? | "  \(.severity): \(.diagnostics) @ \((.location // [""])[0])"' >&2; }
errors() { out '[.issue[]? | select(.severity == "error" or .severity == "fatal")] | length'; }

# 1. metadata
s="$(req GET /metadata)"
[[ "$s" == 200 && "$(out .resourceType)" == CapabilityStatement ]] || fail "metadata -> $s"
ok "GET /metadata -> 200 CapabilityStatement"

# 2. Patient with an NHS number (conditional create: rerunnable)
s="$(req POST /Patient "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"$NHS_SYS\",\"value\":\"$NHS\"}],\"name\":[{\"family\":\"Smith\",\"given\":[\"Jo\"]}]}" -H "If-None-Exist: identifier=$NHS_SYS|$NHS")"
[[ "$s" == 201 || "$s" == 200 ]] || fail "create Patient -> $s $(cat "$TMP/out")"
PAT="$(out .id)"
ok "POST /Patient (If-None-Exist) -> $s, Patient/$PAT"
n="$(count "/Patient?identifier=$NHS_SYS|$NHS")"
[[ "$n" == 1 ]] || fail "Patient?identifier=...&_summary=count -> total $n, want 1"
ok "GET /Patient?identifier=...&_summary=count -> total 1"

# 3. transaction: conditional create + conditional reference + PUT with client id
s="$(req POST "" "$(tx "$NHS" "$CALL" "$PROV")")"
[[ "$s" == 200 ]] || fail "transaction -> $s $(cat "$TMP/out")"
[[ "$(statuses)" == "201 Created,201 Created" ]] || fail "transaction entries: $(statuses), want 201,201"
DOC="$(out '.entry[0].response.location' | cut -d/ -f2)"
ok "transaction -> 200, entries $(statuses) (DocumentReference/$DOC, Provenance/$PROV)"
[[ "$(req GET "/DocumentReference/$DOC")" == 200 && "$(out .subject.reference)" == "Patient/$PAT" ]] ||
	fail "DocumentReference/$DOC subject is $(out .subject.reference), want Patient/$PAT"
ok "conditional reference resolved: subject = Patient/$PAT"

# 4. the same transaction again: no new resources, no new versions
s="$(req POST "" "$(tx "$NHS" "$CALL" "$PROV")")"
[[ "$s" == 200 ]] || fail "repeat transaction -> $s $(cat "$TMP/out")"
[[ "$(statuses)" == "200 OK,200 OK" ]] || fail "repeat transaction entries: $(statuses), want 200,200"
[[ "$(out '.entry[0].response.location' | cut -d/ -f2)" == "$DOC" ]] || fail "repeat made another DocumentReference"
ok "repeat transaction -> 200, entries $(statuses)"
n="$(count "/DocumentReference?identifier=$CALL_SYS|$CALL")"
[[ "$n" == 1 ]] || fail "DocumentReference?identifier=... total $n after repeat, want 1"
ok "GET /DocumentReference?identifier=...&_summary=count -> total 1"
[[ "$(req GET "/Provenance/$PROV")" == 200 ]] || fail "GET Provenance/$PROV"
[[ "$(out .id)" == "$PROV" && "$(out .meta.versionId)" == 1 ]] ||
	fail "Provenance/$PROV id=$(out .id) versionId=$(out .meta.versionId), want versionId 1"
ok "Provenance/$PROV after two identical PUTs: versionId 1"

# 5. chained search by the patient's NHS number
[[ "$(req GET "/DocumentReference?patient.identifier=$NHS_SYS|$NHS&_count=500")" == 200 ]] || fail "chained search"
out '[.entry[]?.resource.id]' | jq -e --arg id "$DOC" 'index($id) != null' >/dev/null ||
	fail "DocumentReference?patient.identifier=... did not find DocumentReference/$DOC"
ok "GET /DocumentReference?patient.identifier=... finds DocumentReference/$DOC (total $(out .total))"

# 6. a conditional reference to an unknown NHS number: 4xx + OperationOutcome, nothing written
s="$(req POST "" "$(tx "$UNKNOWN_NHS" "$CALL-unknown" "$PROV-unknown")")"
[[ "$s" =~ ^4 && "$(out .resourceType)" == OperationOutcome ]] || fail "unknown conditional reference -> $s $(cat "$TMP/out")"
ok "unknown conditional reference -> $s: $(out '.issue[0].diagnostics')"
n="$(count "/DocumentReference?identifier=$CALL_SYS|$CALL-unknown")"
[[ "$n" == 0 ]] || fail "the failed transaction wrote a DocumentReference"
[[ "$(req GET "/Provenance/$PROV-unknown")" == 404 ]] || fail "the failed transaction wrote a Provenance"
ok "failed transaction wrote nothing (rolled back)"

# 7. $validate with HAPI's instance validator: it answers 200 with an
#    OperationOutcome whatever it finds, so look at the severities.
s="$(req POST '/Bundle/$validate' "$(tx "$NHS" "$CALL" "$PROV" ',{"system":"http://snomed.info/sct","code":"185317003","display":"Telephone encounter"}')")"
[[ "$s" == 200 && "$(errors)" == 0 ]] || { issues; fail "\$validate good Bundle -> $s with $(errors) errors"; }
ok "\$validate good Bundle (LOINC + SNOMED CT codings) -> $s, 0 errors; issues:"
issues
s="$(req POST '/Bundle/$validate' "$(tx "$NHS" "$CALL" "$PROV")")"
[[ "$s" == 200 && "$(errors)" == 0 ]] || { issues; fail "\$validate good Bundle (LOINC only) -> $s with $(errors) errors"; }
ok "\$validate good Bundle (LOINC only) -> $s, 0 errors; issues:"
issues
bad="$(tx "$NHS" "$CALL" "$PROV" | jq -c 'del(.entry[0].resource.content)')"
s="$(req POST '/Bundle/$validate' "$bad")"
[[ "$s" == 200 && "$(errors)" -ge 1 ]] || { issues; fail "\$validate DocumentReference without content -> $s with no error"; }
ok "\$validate DocumentReference without content -> $s, $(errors) error(s); issues:"
issues
bogus="$(tx "$NHS" "$CALL" "$PROV" | jq -c '.entry[0].resource.status = "bogus"')"
s="$(req POST '/Bundle/$validate' "$bogus")"
[[ "$s" =~ ^4 && "$(errors)" -ge 1 ]] || fail "\$validate status=bogus -> $s with no error"
ok "\$validate DocumentReference status=bogus -> $s (HAPI's parser refuses it before the validator):"
issues

echo "smoke: all checks passed against $B" >&2
