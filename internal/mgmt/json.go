package mgmt

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ErrorBody is the JSON every management route answers an error with.
type ErrorBody struct {
	Error string `json:"error"`
}

// maxRequestBody bounds a JSON request body; the API takes small commands.
const maxRequestBody = 1 << 20

// WriteJSON answers status with v as JSON. v is encoded before anything is
// written, so a value that cannot be encoded becomes a 500, not half a
// body.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(ErrorBody{Error: fmt.Sprintf("encode response: %v", err)})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n')) // the client went away; nothing to do
}

// WriteError answers status with {"error": err's message}.
func WriteError(w http.ResponseWriter, status int, err error) {
	WriteJSON(w, status, ErrorBody{Error: err.Error()})
}

// DecodeJSON reads r's body, one JSON value of at most 1 MiB with no
// unknown fields, into v. A route answers its error with 400.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode request body: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("decode request body: more than one JSON value")
	}
	return nil
}
