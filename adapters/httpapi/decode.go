package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"auth-service/domain"
)

// MaxBodyBytes caps every request body.
const MaxBodyBytes = 1 << 20

var errTooLarge = &httpError{status: http.StatusRequestEntityTooLarge,
	code: "body_too_large", detail: "the request body is larger than 1 MiB"}

// decode reads one JSON object into dst: the body must be UTF-8
// application/json, at most MaxBodyBytes, name each field once, exactly
// as spelled in dst's tags (no case folding), and carry nothing after the
// object. With optional set, an empty body leaves dst as it is.
func decode(w http.ResponseWriter, r *http.Request, dst any, optional bool) error {
	if r.ContentLength > MaxBodyBytes {
		return errTooLarge
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return errTooLarge
	case err != nil:
		return badRequest("malformed_body", "the request body could not be read")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		if optional {
			return nil
		}
		return badRequest("body_required", "a JSON request body is required")
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		return &httpError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			detail: "the request body must be application/json in UTF-8"}
	}
	if !utf8.Valid(raw) || loneSurrogate(raw) {
		return badRequest("malformed_body", "the request body must be valid UTF-8")
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return badRequest("malformed_body", "the request body must be a JSON object")
	}
	if err := checkKeys(raw, dst); err != nil {
		return err
	}

	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("malformed_body", "the request body must hold exactly one JSON object")
	}
	return nil
}

// noBody guards a route that takes no body: one sent anyway must be an
// empty JSON object, so a client that thinks it is sending something
// hears that nothing is read (415 for another type, 400 for any field).
func noBody(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := decode(w, r, &struct{}{}, true); err != nil {
			writeError(w, r, err)
			return
		}
		next(w, r)
	}
}

func isJSON(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

// checkKeys refuses a top-level key that is not spelled exactly as one of
// dst's JSON names, that comes twice, or whose value is null. encoding/json alone would match
// keys case-insensitively and keep the last duplicate.
func checkKeys(raw []byte, dst any) error {
	allowed := jsonNames(dst)
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil // not an object: the decoder proper explains
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		if !allowed[key] {
			return badRequest("unknown_field", fmt.Sprintf("the field %q is not accepted here", key),
				domain.FieldError{Field: key, Message: "is not accepted here"})
		}
		if seen[key] {
			return badRequest("duplicate_field", fmt.Sprintf("the field %q appears twice", key),
				domain.FieldError{Field: key, Message: "appears twice"})
		}
		seen[key] = true
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil
		}
		if string(value) == "null" {
			// A null would read as a field left out, so a client meaning
			// "clear it" would hear success for a change never made.
			return badRequest("null_field", fmt.Sprintf("the field %q must not be null; leave it out instead", key),
				domain.FieldError{Field: key, Message: "must not be null"})
		}
	}
	return nil
}

// jsonNames returns the JSON names of the fields of the struct dst points
// to.
func jsonNames(dst any) map[string]bool {
	names := map[string]bool{}
	t := reflect.TypeOf(dst)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return names
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names[name] = true
	}
	return names
}

// loneSurrogate reports whether a JSON string in raw holds a \u escape
// of half a surrogate pair, which encoding/json would quietly turn into
// U+FFFD.
func loneSurrogate(raw []byte) bool {
	inString, escaped := false, false
	pendingHigh := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case !inString:
			inString = c == '"'
			continue
		case escaped:
			escaped = false
			if c == 'u' && i+4 < len(raw) {
				v, err := strconv.ParseUint(string(raw[i+1:i+5]), 16, 32)
				if err != nil {
					return false // malformed: the decoder reports it
				}
				i += 4
				switch {
				case v >= 0xD800 && v < 0xDC00:
					if pendingHigh {
						return true
					}
					pendingHigh = true
				case v >= 0xDC00 && v < 0xE000:
					if !pendingHigh {
						return true
					}
					pendingHigh = false
				default:
					if pendingHigh {
						return true
					}
				}
				continue
			}
			if pendingHigh {
				return true
			}
			continue
		case c == '\\':
			escaped = true
			continue
		}
		if pendingHigh {
			return true
		}
		if c == '"' {
			inString = false
		}
	}
	return pendingHigh
}

// decodeError explains a JSON decoding failure without echoing the body.
func decodeError(err error) error {
	var (
		tooLarge  *http.MaxBytesError
		syntax    *json.SyntaxError
		typeError *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooLarge):
		return errTooLarge
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed_body", "the request body is not valid JSON")
	case errors.As(err, &typeError):
		field := typeError.Field
		if field == "" {
			return badRequest("malformed_body", "the request body must be a JSON object")
		}
		return badRequest("malformed_body", "a field has the wrong type",
			domain.FieldError{Field: field, Message: "must be a " + jsonKind(typeError.Type.Kind().String())})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest("unknown_field", fmt.Sprintf("the field %q is not accepted here", name),
			domain.FieldError{Field: name, Message: "is not accepted here"})
	default:
		return badRequest("malformed_body", "the request body could not be read")
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "slice", "array":
		return "list"
	case "bool":
		return "boolean"
	case "struct", "map":
		return "object"
	default:
		return "number"
	}
}
