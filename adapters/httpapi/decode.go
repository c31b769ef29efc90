package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"auth-service/domain"
)

// MaxBodyBytes caps every request body.
const MaxBodyBytes = 1 << 20

var errTooLarge = &httpError{status: http.StatusRequestEntityTooLarge,
	code: "body_too_large", detail: "the request body is larger than 1 MiB"}

// decode reads one JSON object into dst: the body must be
// application/json, at most MaxBodyBytes, name no unknown field and carry
// nothing after the object. With optional set, an empty body leaves dst
// as it is.
func decode(w http.ResponseWriter, r *http.Request, dst any, optional bool) error {
	if r.ContentLength > MaxBodyBytes {
		return errTooLarge
	}
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	empty := r.ContentLength == 0
	if r.ContentLength < 0 {
		// Unknown length: peek one byte to tell empty from not.
		var one [1]byte
		n, err := io.ReadFull(body, one[:])
		empty = n == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF)
		body = io.NopCloser(io.MultiReader(strings.NewReader(string(one[:n])), body))
	}
	if empty {
		if optional {
			return nil
		}
		return badRequest("body_required", "a JSON request body is required")
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		return &httpError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			detail: "the request body must be application/json"}
	}

	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errTooLarge
		}
		return badRequest("malformed_body", "the request body must hold exactly one JSON object")
	}
	return nil
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
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
