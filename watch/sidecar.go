package watch

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/callscribe/callscribe/call"
)

// readSidecar reads a recording's metadata: JSON strictly as callscribe's
// own form (call.Parse), XML and CSV through the mapping. key (the shared
// file name) is the call ID when an XML or CSV sidecar gives none.
func readSidecar(path, key string, m *Mapping) (call.Meta, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return call.Meta{}, fmt.Errorf("read sidecar: %w", err)
	}
	if len(data) > call.MaxMetaBytes {
		return call.Meta{}, fmt.Errorf("%w: sidecar larger than %d bytes", call.ErrInvalid, call.MaxMetaBytes)
	}
	ext, _ := isSidecar(path)
	var values map[string][]string
	switch ext {
	case ".json":
		return call.Decode(data)
	case ".xml":
		values, err = xmlValues(data)
	case ".csv":
		values, err = csvValues(data)
	}
	if err != nil {
		return call.Meta{}, fmt.Errorf("%s sidecar: %w", strings.TrimPrefix(ext, "."), err)
	}
	return m.meta(values, key)
}

// xmlValues collects the text of every leaf element by its local name:
// exports nest their fields differently and add many we do not need.
func xmlValues(data []byte) (map[string][]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	values := map[string][]string{}
	var stack []string
	var text strings.Builder
	leaf := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			text.Reset()
			leaf = true
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if leaf {
				name := stack[len(stack)-1]
				values[name] = append(values[name], strings.TrimSpace(text.String()))
			}
			stack = stack[:len(stack)-1]
			leaf = false
		}
	}
	if len(values) == 0 {
		return nil, errors.New("no elements")
	}
	return values, nil
}

// csvValues reads a header row and exactly one data row.
func csvValues(data []byte) (map[string][]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // Excel's BOM
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) != 2 {
		return nil, fmt.Errorf("%d rows: want a header row and one row for the call", len(rows))
	}
	values := map[string][]string{}
	for i, name := range rows[0] {
		values[strings.TrimSpace(name)] = append(values[strings.TrimSpace(name)], strings.TrimSpace(rows[1][i]))
	}
	return values, nil
}

// speakerSep separates channel speakers given in one value.
var speakerSep = regexp.MustCompile(`\s*[,;|]\s*`)

// meta builds call metadata from a sidecar's named values.
func (m *Mapping) meta(values map[string][]string, key string) (call.Meta, error) {
	got := map[string][]string{}
	for name, vs := range values {
		if f, ok := m.byName[strings.ToLower(name)]; ok {
			got[f] = append(got[f], vs...)
		}
	}
	var out call.Meta
	one := func(f string) (string, error) {
		switch vs := got[f]; len(vs) {
		case 0:
			return "", nil
		case 1:
			return vs[0], nil
		default:
			return "", fmt.Errorf("%w: %s: given %d times", call.ErrInvalid, f, len(vs))
		}
	}
	var err error
	str := func(f string, dst *string) {
		if err == nil {
			*dst, err = one(f)
		}
	}
	str("id", &out.ID)
	str("line", &out.Line)
	str("handler_id", &out.HandlerID)
	str("caller_number", &out.CallerNumber)
	str("nhs_number", &out.NHSNumber)
	var started, consent string
	str("started_at", &started)
	str("recording_consent", &consent)
	if err != nil {
		return out, err
	}
	if out.ID == "" {
		out.ID = key
	}
	if started != "" {
		if out.StartedAt, err = time.ParseInLocation(m.TimeLayout, started, m.loc); err != nil {
			return out, fmt.Errorf("%w: started_at %q: want layout %q", call.ErrInvalid, call.Truncate(started, 40), m.TimeLayout)
		}
	}
	if out.RecordingConsent, err = parseConsent(consent); err != nil {
		return out, err
	}
	for _, v := range got["channel_speakers"] {
		if v != "" {
			out.ChannelSpeakers = append(out.ChannelSpeakers, speakerSep.Split(v, -1)...)
		}
	}
	return out, out.Validate()
}

// parseConsent reads recording_consent strictly: it must be present, and
// only plain yes/no words count, so that an unexpected value is neither
// taken as consent nor as an objection.
func parseConsent(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "yes", "y", "1":
		return true, nil
	case "false", "no", "n", "0":
		return false, nil
	case "":
		return false, fmt.Errorf("%w: recording_consent: missing (true = recorded with consent, false = caller objected)", call.ErrInvalid)
	}
	return false, fmt.Errorf("%w: recording_consent %q: want true/false, yes/no or 1/0", call.ErrInvalid, call.Truncate(v, 20))
}

// objects reports whether an unusable sidecar still plainly says the
// caller objected: recording_consent (or what the mapping reads as it)
// given once, as false.
func objects(path string, m *Mapping) bool {
	data, err := os.ReadFile(path)
	if err != nil || len(data) > call.MaxMetaBytes {
		return false
	}
	ext, _ := isSidecar(path)
	if ext == ".json" {
		var v map[string]any
		return json.Unmarshal(data, &v) == nil && v["recording_consent"] == false
	}
	var values map[string][]string
	if ext == ".xml" {
		values, err = xmlValues(data)
	} else {
		values, err = csvValues(data)
	}
	if err != nil {
		return false
	}
	var consent []string
	for name, vs := range values {
		if m.byName[strings.ToLower(name)] == "recording_consent" {
			consent = append(consent, vs...)
		}
	}
	if len(consent) != 1 {
		return false
	}
	c, err := parseConsent(consent[0])
	return err == nil && !c
}
